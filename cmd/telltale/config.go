package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/telltale/telltale/configs"
)

// defaultDataDir is the embedded default's data_dir, for commands that take
// only --data.
const defaultDataDir = "./telltale-data"

// loadConfig reads -c FILE, or the embedded default when file is "".
func loadConfig(file string) (*configs.Config, error) {
	data := configs.Default
	name := "the embedded default configuration"
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usage(fmt.Errorf("read config: %w", err))
		}
		data, name = b, file
	}
	cfg, err := configs.Parse(data)
	if err != nil {
		return nil, usage(fmt.Errorf("%s: %w", name, err))
	}
	return cfg, nil
}

// upstreamRoots are the system roots plus upstream.ca_file.
func upstreamRoots(cfg *configs.Config) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if cfg.Upstream.CAFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(cfg.Upstream.CAFile)
	if err != nil {
		return nil, usage(fmt.Errorf("upstream.ca_file: %w", err))
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usage(fmt.Errorf("upstream.ca_file: %s holds no PEM certificate", cfg.Upstream.CAFile))
	}
	return pool, nil
}

// Log times are UTC to the millisecond: zerolog's default is whole
// seconds, which leaves the console writer's milliseconds at .000.
func init() {
	zerolog.TimeFieldFormat = msFormat
	zerolog.TimestampFunc = func() time.Time { return time.Now().UTC() }
}

// newLogger is pretty on a terminal and JSON otherwise, unless log.format
// says which.
func newLogger(w io.Writer, cfg configs.Log) zerolog.Logger {
	return zerolog.New(logWriter(w, cfg.Format)).Level(logLevel(cfg.Level, zerolog.InfoLevel)).With().Timestamp().Logger()
}

// logWriter is w, through zerolog's console writer when format is
// "pretty", or "auto" (or "") and w is a terminal.
func logWriter(w io.Writer, format string) io.Writer {
	pretty := format == "pretty"
	if format == "auto" || format == "" {
		if f, ok := w.(*os.File); ok {
			pretty = isatty.IsTerminal(f.Fd())
		}
	}
	if pretty {
		return zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
	}
	return w
}

// logLevel parses a log.level; "" or a bad one is def.
func logLevel(s string, def zerolog.Level) zerolog.Level {
	level, err := zerolog.ParseLevel(s)
	if err != nil || s == "" {
		return def
	}
	return level
}
