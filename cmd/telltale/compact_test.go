package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telltale/telltale/store"
)

// TestCompact_DamagedStore_Exit1FileUntouched: compact panicked on a
// truncated database and replaced an empty one with a fresh store.
func TestCompact_DamagedStore_Exit1FileUntouched(t *testing.T) {
	for name, size := range map[string]func(int64) int64{
		"truncated": func(n int64) int64 { return n/2 - 2*int64(os.Getpagesize()) },
		"empty":     func(int64) int64 { return 0 },
	} {
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			st, err := store.Open(data, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 300 {
				r := &store.Record{Kind: store.KindRequest, Host: "las.cloud.com",
					Head: &store.Head{Method: "GET", URL: fmt.Sprintf("https://las.cloud.com/%d", i), Proto: "HTTP/1.1"}}
				if _, err := st.Append(context.Background(), r, nil); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			db := filepath.Join(data, store.DBFile)
			fi, _ := os.Stat(db)
			if err := os.Truncate(db, size(fi.Size())); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(db)
			out, errOut, code := cli(t, "compact", "--data", data)
			if code != 1 || !strings.Contains(errOut, "store file damaged") || !strings.Contains(errOut, "backup") {
				t.Errorf("compact: exit %d, want 1 saying the file is damaged and how to restore it\n%s%s", code, out, errOut)
			}
			if after, _ := os.ReadFile(db); !bytes.Equal(after, before) {
				t.Errorf("compact changed %s: %d bytes, were %d", store.DBFile, len(after), len(before))
			}
			if _, _, code := cli(t, "list", "--data", data); code != 1 {
				t.Errorf("list after compact: exit %d, want 1: the damage is still reported", code)
			}
		})
	}
}
