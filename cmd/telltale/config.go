package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/configs"
)

// defaultDataDir is the embedded default's data_dir, for commands that take
// only --data.
const defaultDataDir = "./telltale-data"

// loadConfig reads -c FILE, or the embedded default when file is "". The
// file's relative paths are relative to its folder (configs/paths.go).
func loadConfig(file string) (*configs.Config, error) {
	cfg, err := parseConfig(file)
	if err != nil {
		return nil, err
	}
	if err := resolvePaths(cfg, file); err != nil {
		return nil, err
	}
	return cfg, nil
}

// resolvePaths resolves cfg's relative paths against the folder of file;
// the embedded default ("") has none but data_dir, which stays relative
// to the working directory.
func resolvePaths(cfg *configs.Config, file string) error {
	if file == "" {
		return nil
	}
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return usage(fmt.Errorf("config %s: %w", file, err))
	}
	cfg.ResolvePaths(dir)
	return nil
}

// parseConfig reads and checks -c FILE, or the embedded default, leaving
// its relative paths as written.
func parseConfig(file string) (*configs.Config, error) {
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

// Log times are UTC to the millisecond: zerolog's default is whole
// seconds, which leaves the console writer's milliseconds at .000.
func init() {
	zerolog.TimeFieldFormat = msFormat
	zerolog.TimestampFunc = func() time.Time { return time.Now().UTC() }
}
