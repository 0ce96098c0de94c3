package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

func newCompactCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Rewrite the store's database without free pages (offline: stop serve first)",
		Long: `compact gives back to the file system the pages that retention and bbolt
freed: bbolt reuses free pages but never shrinks its file. It copies the
database into DATA/telltale.db.compact, checks that the copy holds the same
log (record count and root hash), and swaps it in. It needs the store to
itself and refuses while serve runs; take a backup first if you like
(telltale backup works while serve runs).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needStore(data); err != nil {
				return err
			}
			stop := showCompact(cmd.ErrOrStderr(), data)
			res, err := store.Compact(data, 500*time.Millisecond)
			stop(err == nil)
			if errors.Is(err, store.ErrLocked) {
				return fmt.Errorf("%s is held by a running `telltale serve`%s: stop it first (compact needs the store to itself)", data, server.PIDNote(data))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "compacted %s: %s -> %s, %d records, root hash unchanged\n",
				data, configs.ByteSize(res.Before), configs.ByteSize(res.After), res.Records)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data dir")
	return cmd
}

// showCompact shows a terminal how far compact's copy is: the size of
// DATA/telltale.db.compact, looked at every 200 ms, of the database file's
// (bbolt grows the copy in steps, so the bar moves in steps too; the copy
// ends smaller than the file by the pages freed). stop ends it.
func showCompact(w io.Writer, data string) (stop func(ok bool)) {
	db := filepath.Join(data, store.DBFile)
	fi, err := os.Stat(db)
	if err != nil || !terminal(w) {
		return func(bool) {}
	}
	b := newBar(w, fi.Size(), "compact: copying the pages in use", "", true)
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				if fi, err := os.Stat(db + ".compact"); err == nil {
					b.set(min(fi.Size(), b.pb.GetMax64()))
				}
			}
		}
	}()
	return func(ok bool) {
		close(quit)
		<-done
		b.end(ok)
	}
}
