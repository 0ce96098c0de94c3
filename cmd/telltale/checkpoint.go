package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/evidence"
)

func newCheckpointCmd() *cobra.Command {
	var data, config string
	var send bool
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign a checkpoint of the log if it grew, and print the latest signed checkpoint",
		Long: `Sign a checkpoint of the evidence log (its tree size and root hash) if
records were added since the last one, and print the latest signed
checkpoint: a signed note to keep outside this machine (a ticket, an
e-mail), so that the log can later be shown to be unchanged. While
` + "`telltale serve`" + ` runs, the server signs it.

With evidence.tsa_url in the config (-c), each checkpoint without a
timestamp gets one from that RFC 3161 time-stamping authority. --send posts
each checkpoint not yet sent, with its timestamp, to evidence.witness_url,
so that copies leave this machine; it fails (exit 1) if the witness does
not take them.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(config)
			if err != nil {
				return err
			}
			if send && cfg.Evidence.WitnessURL == "" {
				return usage(errors.New("--send: no evidence.witness_url in the config; pass -c FILE with one"))
			}
			note, err := signNow(data)
			if errors.Is(err, evidence.ErrEmptyLog) {
				return fmt.Errorf("%w: capture something first", err)
			}
			if err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
			if _, err := cmd.OutOrStdout().Write(note); err != nil {
				return err
			}
			if err := anchorNow(cmd.ErrOrStderr(), data, cfg, send); err != nil {
				return fmt.Errorf("checkpoint: signed, but %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data dir")
	cmd.Flags().StringVarP(&config, "config", "c", "", "config file, for evidence.tsa_url, tsa_ca_file and witness_url; default: the embedded one")
	cmd.Flags().BoolVar(&send, "send", false, "post each checkpoint not yet sent (and its timestamp) to evidence.witness_url")
	return cmd
}
