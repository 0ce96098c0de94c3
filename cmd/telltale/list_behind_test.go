package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// TestList_IndexerBehind_PartialAndExit1: while the indexer of a running
// store is behind, list answered from what was indexed, without the
// newest acknowledged captures, and exited 0.
func TestList_IndexerBehind_PartialAndExit1(t *testing.T) {
	data := t.TempDir()
	stall, stalled := make(chan struct{}), make(chan struct{}, 1)
	st, err := store.Open(data, store.Options{ReadWait: 200 * time.Millisecond,
		OnIndex: func(int, uint64, time.Duration, error) {
			select {
			case stalled <- struct{}{}:
			default:
			}
			<-stall // the indexer stops after its first commit
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(stall); st.Close() })
	appendReq := func(path string) {
		r := &store.Record{Kind: store.KindRequest, Host: "las.cloud.com",
			Head: &store.Head{Method: "GET", URL: "https://las.cloud.com" + path, Proto: "HTTP/1.1"}}
		if _, err := st.Append(context.Background(), r, nil); err != nil {
			t.Fatal(err)
		}
	}
	appendReq("/indexed")
	<-stalled
	appendReq("/acknowledged-not-indexed")

	// The store as serve holds it, with its admin API where the CLI
	// looks for it.
	const tok = "test-token"
	h := admin.NewHandler(admin.Options{Store: st, Token: tok})
	t.Cleanup(h.Close)
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	info, _ := json.Marshal(server.AdminInfo{Addr: strings.TrimPrefix(api.URL, "http://")})
	os.WriteFile(filepath.Join(data, server.AdminInfoFile), info, 0o600)
	os.WriteFile(filepath.Join(data, server.AdminTokenFile), []byte(tok), 0o600)

	for _, args := range [][]string{
		{"list", "--data", data},
		{"list", "--data", data, "--kind", "exchange"}, // the catalog's paged answer
	} {
		out, errOut, code := cli(t, args...)
		if code != 1 || !strings.Contains(errOut, "incomplete") || !strings.Contains(errOut, "newest 1 acknowledged") {
			t.Errorf("%s: exit %d, want 1 saying the newest acknowledged record is missing\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		if !strings.Contains(out, "/indexed") {
			t.Errorf("%s: got %q, want what is indexed still listed", strings.Join(args, " "), out)
		}
	}
}
