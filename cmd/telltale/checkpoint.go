package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/evidence"
)

func newCheckpointCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the log if it grew, and print the latest signed checkpoint",
		Long: `Sign a checkpoint of the evidence log (its tree size and root hash) if
records were added since the last one, and print the latest signed
checkpoint: a signed note to keep outside this machine (a ticket, an
e-mail), so that the log can later be shown to be unchanged. While
` + "`telltale serve`" + ` runs, the server signs it.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			note, err := signNow(data)
			if errors.Is(err, evidence.ErrEmptyLog) {
				return fmt.Errorf("%w: capture something first", err)
			}
			if err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
			_, err = cmd.OutOrStdout().Write(note)
			return err
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data dir")
	return cmd
}
