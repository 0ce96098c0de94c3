package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
)

// Files the demo writes into its data dir beside the store.
const (
	demoLogFile    = "demo.log"  // serve's log during the demo, JSON lines
	demoConfigFile = "demo.yaml" // the demo's effective config, for doctor
)

// demoLogger writes the demo's serve log to DATA/demo.log, at info level
// and up, and only errors to the terminal, so that the guide the demo
// prints stays readable. close closes the file.
func demoLogger(dir string, term io.Writer) (zerolog.Logger, func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, demoLogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return zerolog.Logger{}, nil, fmt.Errorf("demo log: %w", err)
	}
	w := zerolog.MultiLevelWriter(
		&zerolog.FilteredLevelWriter{Writer: zerolog.LevelWriterAdapter{Writer: f}, Level: zerolog.InfoLevel},
		&zerolog.FilteredLevelWriter{Writer: zerolog.LevelWriterAdapter{Writer: server.LogWriter(term, "auto")}, Level: zerolog.ErrorLevel})
	log := zerolog.New(w).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	return log, func() { f.Close() }, nil
}

// writeDemoConfig writes DATA/demo.yaml: the demo's effective settings
// (the ports it got, the simulator's addresses and CA) over the embedded
// default, so that `telltale doctor --data DIR` checks the demo as it
// runs, and `telltale serve -c DIR/demo.yaml` would serve like it.
func writeDemoConfig(cfg *configs.Config, proxyAddr, adminAddr string) error {
	upstream, err := demoUpstream(cfg.Upstream)
	if err != nil {
		return err
	}
	doc := map[string]any{
		"data_dir": cfg.DataDir,
		"listen":   proxyAddr,
		"admin":    map[string]any{"listen": adminAddr},
		"upstream": upstream,
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	head := "# Written by `telltale demo`: its settings over the embedded default.\n" +
		"# `telltale doctor --data DIR` reads this file when there is no -c.\n"
	if err := os.WriteFile(filepath.Join(cfg.DataDir, demoConfigFile), append([]byte(head), b...), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", demoConfigFile, err)
	}
	return nil
}

// demoUpstream is the demo's upstream section as YAML keys: every key
// the demo set (the simulator's addresses, its CA, the loopback it may
// reach), and none left at the default.
func demoUpstream(u configs.Upstream) (map[string]any, error) {
	b, err := yaml.Marshal(u)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "timeout") // the default's; it would not read back as written
	for k, v := range m {
		if l, ok := v.([]any); v == nil || v == "" || ok && len(l) == 0 {
			delete(m, k)
		}
	}
	return m, nil
}
