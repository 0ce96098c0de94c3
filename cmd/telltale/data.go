package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// captures is what reading commands need, from the store file or from the
// running server's admin API.
type captures interface {
	admin.Reader
	Close() error
}

// openCaptures opens the store read-only; when `serve` holds it, it asks
// the running server's admin API instead, so the user never needs to know
// whether the server is up.
func openCaptures(dir string) (captures, error) {
	if _, err := os.Stat(filepath.Join(dir, "telltale.db")); errors.Is(err, os.ErrNotExist) {
		return nil, usage(fmt.Errorf("no Telltale store in %s: pass --data DIR (the data_dir of `telltale serve`)", dir))
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, store.ErrLocked) {
		return nil, err
	}
	c, cerr := adminClient(dir)
	if cerr != nil {
		return nil, fmt.Errorf("the store is held by a running `telltale serve`, and its admin API is unknown: %w", cerr)
	}
	return c, nil
}

type clientCloser struct{ *admin.Client }

func (clientCloser) Close() error { return nil }

func adminClient(dir string) (captures, error) {
	b, err := os.ReadFile(filepath.Join(dir, server.AdminInfoFile))
	if err != nil {
		return nil, err
	}
	var info server.AdminInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", server.AdminInfoFile, err)
	}
	tok, err := os.ReadFile(filepath.Join(dir, server.AdminTokenFile))
	if err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	base, hc, err := info.Endpoint()
	if err != nil {
		return nil, err
	}
	return clientCloser{&admin.Client{Base: base, Token: strings.TrimSpace(string(tok)), HTTP: hc}}, nil
}

// notFound words an unknown capture id for the user.
func notFound(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no capture %q: `telltale list` shows the ids", id)
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
