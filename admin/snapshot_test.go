package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

var token = strings.Repeat("t", 64)

func TestSnapshot_RoundTripThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{InlineMax: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range 20 {
		body := st.NewBody(0)
		fmt.Fprintf(body, "payload %d, longer than InlineMax", i)
		rec := &store.Record{Kind: store.KindRequest, Host: "las.cloud.com", Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/x"}}
		if _, err := st.Append(context.Background(), rec, body); err != nil {
			t.Fatal(err)
		}
		body.Close()
	}
	os.WriteFile(filepath.Join(dir, "log.key"), []byte("PRIVATE+KEY+never+served"), 0o600)
	srv := httptest.NewServer(NewHandler(Options{Store: st, Token: token, Snapshot: st}))
	defer srv.Close()

	var snap bytes.Buffer
	n, err := (&Client{Base: srv.URL, Token: token}).Snapshot(&snap)
	if err != nil || n != int64(snap.Len()) {
		t.Fatalf("Snapshot: %d bytes, %v", n, err)
	}
	if bytes.Contains(snap.Bytes(), []byte("PRIVATE")) {
		t.Error("the snapshot holds key material")
	}
	path := filepath.Join(t.TempDir(), "snap.db")
	os.WriteFile(path, snap.Bytes(), 0o600)
	c, err := store.Open(dir, store.Options{ReadOnly: true, DBPath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	caps, err := c.List(store.Query{})
	if err != nil || len(caps) != 20 {
		t.Fatalf("snapshot: %d captures, %v", len(caps), err)
	}
	full, _ := c.Capture(caps[19].ID)
	rc, _, err := c.OpenBody(full.Request.BodySHA256)
	if err != nil {
		t.Fatalf("snapshot reads the live blobs: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "payload 19, longer than InlineMax" {
		t.Errorf("body: got %q", b)
	}
	if _, err := (&Client{Base: srv.URL, Token: "wrong"}).Snapshot(io.Discard); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: got %v, want 401", err)
	}
}

// failingSnapshot writes some bytes, then fails.
type failingSnapshot struct{}

func (failingSnapshot) WriteTo(w io.Writer) (int64, error) {
	n, _ := w.Write(bytes.Repeat([]byte("x"), 1000))
	return int64(n), errors.New("disk on fire")
}

func TestSnapshot_CutOffIsAnError(t *testing.T) {
	srv := httptest.NewServer(NewHandler(Options{Token: token, Snapshot: failingSnapshot{}}))
	defer srv.Close()
	var b bytes.Buffer
	if _, err := (&Client{Base: srv.URL, Token: token}).Snapshot(&b); err == nil {
		t.Fatalf("a cut-off snapshot of %d bytes: got no error", b.Len())
	}
	srv2 := httptest.NewServer(NewHandler(Options{Token: token}))
	defer srv2.Close()
	if _, err := (&Client{Base: srv2.URL, Token: token}).Snapshot(io.Discard); err == nil || !strings.Contains(err.Error(), "no snapshot") {
		t.Errorf("a server without snapshots: got %v", err)
	}
}

func TestCheckpoint_Route(t *testing.T) {
	calls := 0
	var empty bool
	srv := httptest.NewServer(NewHandler(Options{Token: token, Checkpoint: func(context.Context) ([]byte, error) {
		calls++
		if empty {
			return nil, evidence.ErrEmptyLog
		}
		return []byte("origin\n1\nroot\n\n— sig\n"), nil
	}}))
	defer srv.Close()
	c := &Client{Base: srv.URL, Token: token}
	note, err := c.Checkpoint()
	if err != nil || string(note) != "origin\n1\nroot\n\n— sig\n" || calls != 1 {
		t.Fatalf("Checkpoint: got %q, %v after %d calls", note, err, calls)
	}
	empty = true
	if _, err := c.Checkpoint(); err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty log: got %v, want a 409 saying so", err)
	}
	resp, _ := http.Get(srv.URL + "/api/checkpoint")
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: got %d, want 401", resp.StatusCode)
	}
}
