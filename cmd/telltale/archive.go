package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

func newArchiveCmd() *cobra.Command {
	var file, data string
	var once bool
	cmd := &cobra.Command{
		Use:   "archive",
		Short: "Push the log to its S3 Object Lock archive (the config's archive section)",
		Long: `Push the evidence log, its signed checkpoints with their timestamps and
cosignatures, and the bodies its records name to the S3 bucket of the
config's archive section, each object written once with its own Object
Lock retention. It resumes where the last push stopped. While
` + "`telltale serve`" + ` runs, its background archiver does this (every
archive.interval); this command is for a data dir no server holds.

--once pushes what there is and exits; without it the command pushes
every archive.interval until interrupted.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(file)
			if err != nil {
				return err
			}
			override(&cfg.DataDir, data)
			if !cfg.Archive.Enabled() {
				return usage(errors.New("no archive.bucket in the config; pass -c FILE with an archive section"))
			}
			if err := needStore(cfg.DataDir); err != nil {
				return err
			}
			st, err := store.Open(cfg.DataDir, store.Options{Timeout: 200 * time.Millisecond})
			if errors.Is(err, store.ErrLocked) {
				return fmt.Errorf("%w: `telltale serve` holds %s, and its archiver pushes every archive.interval (see doctor or /metrics)", err, cfg.DataDir)
			}
			if err != nil {
				return err
			}
			defer st.Close()
			log := zerolog.New(zerolog.ConsoleWriter{Out: cmd.ErrOrStderr(), NoColor: true}).Level(zerolog.InfoLevel).With().Timestamp().Logger()
			a, err := server.OpenArchive(cmd.Context(), cfg, st, log, archiveProgress(cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			if !once {
				a.Run(cmd.Context(), time.Duration(cfg.ArchiveSettings().Interval))
				return nil
			}
			n, err := a.Step(cmd.Context())
			s := a.Status()
			fmt.Fprintf(cmd.OutOrStdout(), "archive: %s in s3://%s: %d of %d records, checkpoint %d; %d objects written, %d already there\n",
				s.Origin, a.Bucket().Name(), s.Archived, s.Size, s.Checkpoint, n, s.Existing)
			if err != nil {
				return fmt.Errorf("archive: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "config", "c", "", "config file with an archive section")
	f.StringVar(&data, "data", "", "data dir (overrides data_dir)")
	f.BoolVar(&once, "once", false, "push what there is and exit")
	return cmd
}

// archiveProgress shows a terminal how far a push is, with its rate;
// nothing when stderr is not a terminal.
func archiveProgress(w io.Writer) func(archived, target uint64) {
	if !terminal(w) {
		return nil
	}
	var b *bar
	var first uint64
	return func(archived, target uint64) {
		if b == nil {
			// The records before are those a push before this one sent.
			first = archived
			b = newBar(w, int64(target-first), fmt.Sprintf("archive: pushing records from %d", first), "records", false)
		}
		b.setTotal(int64(target - first))
		b.set(int64(archived - first))
		if archived == target {
			b.end(true)
		}
	}
}
