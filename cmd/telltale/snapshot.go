package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// Helpers shared by checkpoint, verify and export: each works whether or
// not `telltale serve` holds the store, like list and show.

// needStore refuses a data dir without a store, as a usage error.
func needStore(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); errors.Is(err, os.ErrNotExist) {
		return usage(fmt.Errorf("no Telltale store in %s: pass --data DIR (the data_dir of `telltale serve`)", dir))
	}
	return nil
}

// serverAPI is the running server's admin API, for when serve holds the
// store.
func serverAPI(dir string) (*admin.Client, error) {
	c, err := adminClient(dir)
	if err != nil {
		return nil, fmt.Errorf("the store is held by a running `telltale serve`, and its admin API is unknown: %w", err)
	}
	cc, ok := c.(clientCloser)
	if !ok {
		return nil, fmt.Errorf("the store is held by a running `telltale serve`, whose admin API this command cannot use")
	}
	return cc.Client, nil
}

// openLog opens the store read-only, or, while serve holds it, a snapshot
// of it fetched through the admin API and opened with the live blobs. The
// returned function closes it and removes the snapshot.
func openLog(dir string) (*store.Store, func(), error) {
	if err := needStore(dir); err != nil {
		return nil, nil, err
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if err == nil {
		return st, func() { st.Close() }, nil
	}
	if !errors.Is(err, store.ErrLocked) {
		return nil, nil, err
	}
	api, err := serverAPI(dir)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.CreateTemp("", "telltale-snapshot-*.db")
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	remove := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := api.Snapshot(f); err != nil {
		remove()
		return nil, nil, fmt.Errorf("snapshot of the running server's store: %w", err)
	}
	if err := f.Close(); err != nil {
		remove()
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	st, err = store.Open(dir, store.Options{ReadOnly: true, DBPath: f.Name(), Timeout: time.Second})
	if err != nil {
		remove()
		return nil, nil, fmt.Errorf("open snapshot: %w", err)
	}
	return st, func() { st.Close(); remove() }, nil
}

// signNow signs a checkpoint of the log if it grew and returns the latest
// signed checkpoint: here when the store is free, by the running server
// when it holds the store (the key never leaves either).
func signNow(dir string) ([]byte, error) {
	if err := needStore(dir); err != nil {
		return nil, err
	}
	st, err := store.Open(dir, store.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		api, err := serverAPI(dir)
		if err != nil {
			return nil, err
		}
		return api.Checkpoint()
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	signer, _, _, err := certs.OpenSigner(filepath.Join(dir, "ca"), server.LogKeyName())
	if err != nil {
		return nil, err
	}
	cp, _, err := evidence.SignTree(st, signer, time.Now())
	if err != nil {
		return nil, err
	}
	return cp.Note, nil
}

// logKey is the verifier key to check with: --key (the key itself, or a
// file holding it), else DATA/ca/log.pub.
func logKey(dir, flag string) (string, error) {
	if flag == "" {
		b, err := os.ReadFile(filepath.Join(dir, "ca", "log.pub"))
		if err != nil {
			return "", usage(fmt.Errorf("no log key: %w; pass --key with the log.pub line you recorded", err))
		}
		return strings.TrimSpace(string(b)), nil
	}
	key := flag
	if b, err := os.ReadFile(flag); err == nil {
		key = string(b)
	}
	key = strings.TrimSpace(key)
	if _, err := evidence.ParseKey(key); err != nil {
		return "", usage(fmt.Errorf("--key: %w", err))
	}
	return key, nil
}
