package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

func newRecoverCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "recover",
		Short: "Apply a damaged write-ahead log, recording what it lost (offline: stop serve first)",
		Long: `recover is the way forward when every command refuses the store because its
write-ahead log (DATA/wal) lost records it had acknowledged: a damaged
frame with intact frames after it, a missing segment, records out of
order. It applies every record that still reads, puts a "lost" record in
the log in the place of each one that does not (saying which segment and
byte), and moves the segments, untouched, to DATA/wal/damaged/<time>/ for
whoever investigates. verify reports the lost records from then on, and
list shows each as a capture of kind "lost". A log that lost nothing is
applied as any command would. recover needs the store to itself and
refuses while serve runs; a damaged database file is restored from a
backup, not recovered.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needStore(data); err != nil {
				return err
			}
			res, err := store.Recover(data, store.Options{Timeout: 500 * time.Millisecond})
			if errors.Is(err, store.ErrLocked) {
				return fmt.Errorf("%s is held by a running `telltale serve`%s: stop it first (recover needs the store to itself)", data, server.PIDNote(data))
			}
			if err != nil {
				return err
			}
			printRecovered(cmd.OutOrStdout(), data, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data dir")
	return cmd
}

func printRecovered(w io.Writer, data string, res store.RecoverResult) {
	if res.MovedTo == "" {
		fmt.Fprintf(w, "the write-ahead log of %s lost nothing: applied it; nothing to recover\n", data)
		return
	}
	fmt.Fprintf(w, "recovered %s: applied %d intact records from the write-ahead log; %d records lost, each now a \"lost\" record in the log:\n",
		data, res.Applied, res.LostRecords())
	for _, d := range res.Lost {
		fmt.Fprintf(w, "  %s\n", d)
	}
	fmt.Fprintf(w, "the segments are kept in %s; `telltale verify` reports the lost records from now on\n", res.MovedTo)
}
