package main

import (
	"fmt"
	"os"
	"time"

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

// Log times are UTC to the millisecond: zerolog's default is whole
// seconds, which leaves the console writer's milliseconds at .000.
func init() {
	zerolog.TimeFieldFormat = msFormat
	zerolog.TimestampFunc = func() time.Time { return time.Now().UTC() }
}
