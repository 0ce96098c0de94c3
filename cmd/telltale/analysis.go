package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// analyst is what the analysis commands need: captures and their
// analysis, from the store file or from the running server's admin API.
type analyst interface {
	admin.Reader
	admin.Analyst
	Close() error
}

// localAnalyst analyses a store opened read-only, in memory.
type localAnalyst struct {
	*store.Store
	*analysis.Analyzer
}

func (l localAnalyst) Close() error {
	l.Analyzer.Close()
	return l.Store.Close()
}

type remoteAnalyst struct {
	captures
	admin.Analyst
}

// openAnalysis is openCaptures for the analysis commands: on the store
// file it analyses with the rules of configFile (or the embedded
// default), bringing derived data up to date in memory; while serve holds
// the store it asks serve, which applies its own rules.
func openAnalysis(dir, configFile string) (analyst, error) {
	c, err := openCaptures(dir)
	if err != nil {
		return nil, err
	}
	if st, ok := c.(*store.Store); ok {
		cfg, err := loadConfig(configFile)
		if err != nil {
			st.Close()
			return nil, err
		}
		a, err := analysis.New(st, server.AnalysisOptions(cfg.Inspect, zerolog.Nop()))
		if err != nil {
			st.Close()
			return nil, err
		}
		return localAnalyst{st, a}, nil
	}
	if an, ok := c.(admin.Analyst); ok {
		return remoteAnalyst{c, an}, nil
	}
	c.Close()
	return nil, errors.New("this store cannot be analysed while serve runs: stop serve, or upgrade it")
}

// analysisFlags are the flags every analysis command takes.
type analysisFlags struct {
	data, config string
}

func (f *analysisFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", defaultDataDir, "data dir")
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "config whose inspect rules apply when the store is read directly (while serve runs, its own rules apply)")
}

func (f *analysisFlags) open() (analyst, error) { return openAnalysis(f.data, f.config) }

// licenses are the catalog of license names and the entitlements of the
// config (-c, or the embedded default).
func (f *analysisFlags) licenses() (*analysis.Catalog, []analysis.Entitlement, error) {
	cfg, err := loadConfig(f.config)
	if err != nil {
		return nil, nil, err
	}
	return licensesOf(cfg, f.data)
}

// licensesOf is the config's catalog and its entitlements with those
// entered in the review UI (DATA/entitlements.json) over them, as serve's
// position has them.
func licensesOf(cfg *configs.Config, data string) (*analysis.Catalog, []analysis.Entitlement, error) {
	cat, ents := server.Licenses(cfg.LicenseSection())
	entered, err := admin.ReadEntitlements(filepath.Join(data, admin.EntitlementsFile))
	if err != nil {
		return nil, nil, err
	}
	return cat, admin.MergeEntitlements(ents, entered), nil
}

// analysisErr words the analysis errors for the user.
func analysisErr(err error) error {
	switch {
	case errors.Is(err, analysis.ErrBadInput):
		return usage(err)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: `telltale list` shows the ids", err)
	}
	return err
}

// formatValue writes a figure or a change's value: numbers as they were
// sent, strings as they are.
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// palette colours output on a terminal only.
type palette struct {
	on bool
	// name names a capture for people (captureName: "no. 12"); nil
	// names it by its id.
	name func(id string) string
}

// capture names capture id as the palette's name says.
func (p palette) capture(id string) string {
	if p.name == nil {
		return id
	}
	return p.name(id)
}

func newPalette(w io.Writer, mode string) (palette, error) {
	switch mode {
	case "always":
		return palette{on: true}, nil
	case "never":
		return palette{on: false}, nil
	case "auto", "":
		f, ok := w.(*os.File)
		on := ok && isatty.IsTerminal(f.Fd()) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
		return palette{on: on}, nil
	}
	return palette{}, usage(fmt.Errorf("--color %q: want auto, always or never", mode))
}

const (
	ansiRed   = "31"
	ansiGreen = "32"
	ansiCyan  = "36"
	ansiDim   = "2"
	ansiBold  = "1"
)

func (p palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// one line of s, shortened to n runes.
func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
