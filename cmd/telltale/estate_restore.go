package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/estate"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

func newEstateRestoreCmd(file *string) *cobra.Command {
	var data, name string
	cmd := &cobra.Command{
		Use:   "restore --log NAME --data DIR",
		Short: "Verify one log in the archive and restore it into a data dir every command reads",
		Long: `Verify one log of estate.yaml in the archive and write it into a new data
dir as its license server's store held it: the same records, leaves, tree
and checkpoints, and the bodies the archive holds. list, show, position,
figures, export and verify --data DIR then work on it as on the original,
which may be gone.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := openEstate(cmd, *file)
			if err != nil {
				return err
			}
			l, err := pickLog(e, name, *file)
			if err != nil {
				return err
			}
			r, err := restoreLog(cmd, e, l, data)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s (%s): %d records, %d checkpoints, %d bodies (%d not archived) into %s\n",
				r.Name, r.Origin, r.Size, r.Checkpoints, r.Bodies, r.Missing, data)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "new data dir to restore into")
	cmd.Flags().StringVar(&name, "log", "", "the log's name in estate.yaml")
	cmd.MarkFlagRequired("data")
	return cmd
}

// pickLog finds a log of the estate by name; one log needs no name.
func pickLog(e *estate.Estate, name, file string) (estate.Log, error) {
	for _, l := range e.Logs {
		if l.Name == name || name == "" && len(e.Logs) == 1 {
			return l, nil
		}
	}
	return estate.Log{}, usage(fmt.Errorf("--log %q: not a log of %s", name, file))
}

// restoreLog restores l into the new data dir data.
func restoreLog(cmd *cobra.Command, e *estate.Estate, l estate.Log, data string) (*estate.LogReport, error) {
	if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
		return nil, usage(fmt.Errorf("--data %s is not empty: restore writes a new data dir", data))
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		return nil, err
	}
	r, err := estate.Restore(cmd.Context(), e.Source, e.Prefix, l, st, data)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return r, err
}

func newEstatePositionCmd(file *string) *cobra.Command {
	var cache string
	var days int
	cmd := &cobra.Command{
		Use:   "position [--days N] [--data DIR]",
		Short: "The license position of every license server of the estate, per license summed and per server",
		Long: `Restore every log of estate.yaml from the archive (into --data, a new dir;
default a temporary one) and compute each license server's position as
` + "`telltale position`" + ` does; then print, per license, the installed
count and the reported peak summed over the license servers, and each
server's own. A sum of peaks is an upper bound: the servers may peak on
different days.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := openEstate(cmd, *file)
			if err != nil {
				return err
			}
			if cache == "" {
				if cache, err = os.MkdirTemp("", "telltale-estate-"); err != nil {
					return err
				}
				defer os.RemoveAll(cache)
			}
			var per []serverPosition
			for i, l := range e.Logs {
				dir := filepath.Join(cache, fmt.Sprintf("%02d", i+1))
				if _, err := restoreLog(cmd, e, l, dir); err != nil {
					return err
				}
				pos, err := positionOf(dir, days)
				if err != nil {
					return fmt.Errorf("%s: %w", l.Name, err)
				}
				per = append(per, serverPosition{name: l.Name, pos: pos})
			}
			writeEstatePosition(cmd.OutOrStdout(), per)
			return nil
		},
	}
	cmd.Flags().StringVar(&cache, "data", "", "new dir to restore the logs into (kept); default: a temporary one")
	cmd.Flags().IntVar(&days, "days", 30, "the period: this many usage days up to each server's latest reported")
	return cmd
}

type serverPosition struct {
	name string
	pos  analysis.Position
}

// positionOf is `telltale position --data dir` with the embedded
// configuration's license catalog.
func positionOf(dir string, days int) (analysis.Position, error) {
	cfg, err := configs.Parse(nil)
	if err != nil {
		return analysis.Position{}, err
	}
	o := analysis.PositionOptions{Days: days, Names: analysis.NewNames(server.AnalysisOptions(cfg.Inspect, zerolog.Nop()).Rules)}
	o.Catalog, o.Entitlements = server.Licenses(cfg.LicenseSection())
	a, err := openAnalysis(dir, "")
	if err != nil {
		return analysis.Position{}, err
	}
	defer a.Close()
	pts, err := a.Figures(analysis.Query{})
	if err != nil {
		return analysis.Position{}, analysisErr(err)
	}
	return analysis.ComputePosition(pts, o), nil
}

// posRow is one license server's figures for one license.
type posRow struct {
	server               string
	installed, peak      float64
	knownInst, knownPeak bool
}

// licenseSum is one license over the estate: the sums and each server.
type licenseSum struct {
	code, name      string
	installed, peak float64
	rows            []posRow
}

// sumPositions sums each license's installed count and peak over the
// license servers that report it, in license code order.
func sumPositions(per []serverPosition) []licenseSum {
	byCode := map[string]*licenseSum{}
	for _, s := range per {
		for _, l := range s.pos.Licenses {
			r := posRow{server: s.name}
			if l.Installed != nil {
				r.installed, r.knownInst = l.Installed.Value, true
			}
			if l.Peak != nil {
				r.peak, r.knownPeak = l.Peak.Value, true
			}
			sum := byCode[l.Code]
			if sum == nil {
				sum = &licenseSum{code: l.Code, name: l.Code + " " + l.Name()}
				byCode[l.Code] = sum
			}
			sum.installed, sum.peak = sum.installed+r.installed, sum.peak+r.peak
			sum.rows = append(sum.rows, r)
		}
	}
	var out []licenseSum
	for _, c := range slices.Sorted(maps.Keys(byCode)) {
		out = append(out, *byCode[c])
	}
	return out
}

// writeEstatePosition prints one block per license: the sums, then each
// server.
func writeEstatePosition(w io.Writer, per []serverPosition) {
	sums := sumPositions(per)
	if len(sums) == 0 {
		fmt.Fprintln(w, "No license server of the estate has reported license usage yet.")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "LICENSE\tSERVER\tINSTALLED\tPEAK IN USE")
	for _, sum := range sums {
		var servers []string
		for _, r := range sum.rows {
			servers = append(servers, r.server)
		}
		fmt.Fprintf(tw, "%s\tall (%s)\t%g\t%g\n", sum.name, strings.Join(servers, ", "), sum.installed, sum.peak)
		for _, r := range sum.rows {
			fmt.Fprintf(tw, "\t%s\t%s\t%s\n", r.server, known(r.installed, r.knownInst), known(r.peak, r.knownPeak))
		}
	}
	tw.Flush()
}

func known(v float64, ok bool) string {
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("%g", v)
}
