package main

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/server"
)

// usageError marks bad usage or configuration (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usage(err error) error { return usageError{err} }

// isUsage is true for bad usage, and for the configuration errors the
// server reports (the user must change the config).
func isUsage(err error) bool {
	var u usageError
	var c *server.ConfigError
	return errors.As(err, &u) || errors.As(err, &c)
}

// run executes one command line; it is main without the process around it,
// so tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown ") { // cobra's unknown command/flag
		err = usage(err)
	}
	if err != nil {
		printErr(stderr, err)
	}
	return exitCode(err)
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "telltale",
		Short:         "See what your license server tells its vendor, with proof",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	root.AddCommand(newServeCmd(), newListCmd(), newShowCmd(), newCACmd(), newDemoCmd(),
		newCheckpointCmd(), newVerifyCmd(), newExportCmd(), newUICmd(), newReportCmd())
	root.AddCommand(newDiffCmd(), newDriftCmd(), newFiguresCmd(), newReconcileCmd(), newEndpointsCmd(), newPositionCmd(), newPersonalCmd())
	root.AddCommand(newDoctorCmd(), newBackupCmd(), newCompactCmd(), newRecoverCmd(), newServiceCmd())
	root.AddCommand(newArchiveCmd(), newEstateCmd())
	wrapAll(root)
	return root
}

func wrapAll(c *cobra.Command) {
	for _, sub := range c.Commands() {
		sub.Args = wrapArgs(sub.Args)
		wrapAll(sub)
	}
}

// wrapArgs turns cobra's argument errors into usage errors.
func wrapArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		check = cobra.NoArgs
	}
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usage(err)
		}
		return nil
	}
}
