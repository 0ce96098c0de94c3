package main

import (
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/certs"
)

func newCACmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ca", Short: "The interception CA: export its certificate, or rotate it"}
	cmd.AddCommand(newCAExportCmd(), newCARotateCmd())
	return cmd
}

func newCAExportCmd() *cobra.Command {
	var data, out string
	var der bool
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the CA certificate (never the key): PEM, or DER for Windows certutil",
		RunE: func(cmd *cobra.Command, _ []string) error {
			pemBytes, err := os.ReadFile(filepath.Join(data, "ca", "ca.pem"))
			if err != nil {
				return usage(fmt.Errorf("no CA in %s: run `telltale serve --data %s` once to create it (%w)", data, data, err))
			}
			b := pemBytes
			if der {
				blk, _ := pem.Decode(pemBytes)
				if blk == nil {
					return fmt.Errorf("%s: not a PEM certificate", filepath.Join(data, "ca", "ca.pem"))
				}
				b = blk.Bytes
			}
			if out != "" {
				if out, err = outputPath(out); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", out)
			}
			return writeOut(cmd.OutOrStdout(), out, b)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", defaultDataDir, "data dir")
	f.BoolVar(&der, "der", false, "DER instead of PEM (for certutil -addstore Root)")
	f.StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func newCARotateCmd() *cobra.Command {
	var file, data string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Issue a new CA for the configured intercept hosts; the old one is kept under ca/retired/",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(file)
			if err != nil {
				return err
			}
			override(&cfg.DataDir, data)
			a, err := certs.Rotate(filepath.Join(cfg.DataDir, "ca"), certs.Options{Hosts: cfg.Intercept.Hosts})
			if err != nil {
				return fmt.Errorf("rotate CA: %w", err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "New CA for %v (the old one is under %s). Trust this certificate on every client:\n",
				cfg.Intercept.Hosts, filepath.Join(cfg.DataDir, "ca", "retired"))
			_, err = w.Write(a.CertPEM())
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "config file (its intercept.hosts fix the new CA's name constraints)")
	cmd.Flags().StringVar(&data, "data", "", "data dir (overrides data_dir)")
	return cmd
}

// outputPath makes -o absolute against the current folder, and refuses a
// relative -o there when that folder is the Windows system folder, where an
// elevated prompt starts (C:\Windows\System32): the file would land among
// the system's own.
func outputPath(out string) (string, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", usage(fmt.Errorf("-o %s: %w", out, err))
	}
	if filepath.IsAbs(out) {
		return abs, nil
	}
	wd, _ := os.Getwd()
	if sys := systemDir(); sys != "" && strings.EqualFold(filepath.Clean(wd), filepath.Clean(sys)) {
		return "", usage(fmt.Errorf("-o %s: the current folder is %s (an elevated prompt starts there), which is no place for it: "+
			"give -o a full path, such as -o %s, or cd to a folder of your own first", out, wd,
			filepath.Join(os.Getenv("USERPROFILE"), "Desktop", filepath.Base(out))))
	}
	return abs, nil
}

func writeOut(stdout io.Writer, path string, b []byte) error {
	if path == "" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
