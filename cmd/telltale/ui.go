package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/server"
)

func newUICmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Print a one-time link that opens the review UI of the running `telltale serve`",
		Long: `Ask the running server for a login link and print it. Open it in a
browser on a machine that reaches the admin listener: it works once, within
two minutes, and signs the browser in with a session cookie. The admin
token itself never appears in a URL.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, info, err := runningAdmin(data)
			if err != nil {
				return err
			}
			path, exp, err := c.LoginLink()
			if err != nil {
				return fmt.Errorf("ask the running server for a login link: %w", err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Open this link in a browser (it works once, until %s):\n\n  %s%s\n\n",
				exp.Local().Format("15:04:05"), strings.TrimSuffix(info.URL, "/"), path)
			if info.CertSHA256 != "" {
				fmt.Fprintf(w, "The admin listener's certificate is %s (SHA-256 %s): trust it, or check the fingerprint your browser shows.\n",
					info.CertFile, info.CertSHA256)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data dir of the running `telltale serve`")
	return cmd
}

// runningAdmin is a client of the running server's admin API.
func runningAdmin(dir string) (*admin.Client, server.AdminInfo, error) {
	var info server.AdminInfo
	b, err := os.ReadFile(filepath.Join(dir, server.AdminInfoFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, info, usage(fmt.Errorf("no running `telltale serve` on %s (no %s): start it, or pass --data DIR", dir, server.AdminInfoFile))
	}
	if err != nil {
		return nil, info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, info, fmt.Errorf("%s: %w", server.AdminInfoFile, err)
	}
	if info.URL == "" {
		info.URL = "http://" + info.Addr
	}
	c, err := adminClient(dir)
	if err != nil {
		return nil, info, err
	}
	return c.(clientCloser).Client, info, nil
}
