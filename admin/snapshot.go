package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/telltale/telltale/evidence"
)

// The evidence routes let `telltale verify`, `export` and `checkpoint` work
// while serve holds the store:
//
//	GET  /api/snapshot    a consistent copy of the store's database file
//	                      (bbolt), with its SHA-256 in a trailer
//	POST /api/checkpoint  sign a checkpoint now if the log grew; answers
//	                      the latest signed checkpoint (a signed note)
//
// Neither serves key material: the database holds records, hashes and
// signed checkpoints, and the key stays with the server.

// SnapshotSumTrailer is the trailer that carries the snapshot's SHA-256,
// so that a client can tell a complete snapshot from a cut-off one.
const SnapshotSumTrailer = "Telltale-Snapshot-Sha256"

func (h *Handler) routeEvidence() {
	h.mux.HandleFunc("GET /api/snapshot", h.snapshot)
	h.mux.HandleFunc("POST /api/checkpoint", h.checkpoint)
}

func (h *Handler) snapshot(w http.ResponseWriter, r *http.Request) {
	if h.opts.Snapshot == nil {
		writeError(w, http.StatusNotFound, "this server offers no snapshot")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Trailer", SnapshotSumTrailer)
	sum := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, sum)}
	if _, err := h.opts.Snapshot.WriteTo(cw); err != nil {
		h.opts.Logger.Error().Err(err).Str("component", "admin").Msg("snapshot failed")
		if cw.n == 0 {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		// Cut the connection: a client must not take the bytes so far for
		// a snapshot (it also checks the trailer).
		panic(http.ErrAbortHandler)
	}
	w.Header().Set(SnapshotSumTrailer, hex.EncodeToString(sum.Sum(nil)))
}

// countingWriter counts what it writes.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (h *Handler) checkpoint(w http.ResponseWriter, r *http.Request) {
	if h.opts.Checkpoint == nil {
		writeError(w, http.StatusNotFound, "this server signs no checkpoints")
		return
	}
	note, err := h.opts.Checkpoint(r.Context())
	switch {
	case errors.Is(err, evidence.ErrEmptyLog):
		writeError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(note)
}

// Snapshot writes a consistent copy of the running server's database to
// w and returns its size. It fails unless the copy is complete and its
// SHA-256 is the one the server sent.
func (c *Client) Snapshot(w io.Writer) (int64, error) {
	// No overall timeout: a large store takes a while to copy.
	hc := http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 30 * time.Second}}
	if c.HTTP != nil {
		hc = *c.HTTP // its transport (the admin API's TLS), without the timeout
		hc.Timeout = 0
	}
	cc := *c
	cc.HTTP = &hc
	resp, err := cc.do(http.MethodGet, "/api/snapshot")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, sum), resp.Body)
	if err != nil {
		return n, fmt.Errorf("admin API snapshot: cut off after %d bytes: %w", n, err)
	}
	if want, got := resp.Trailer.Get(SnapshotSumTrailer), hex.EncodeToString(sum.Sum(nil)); want != got {
		return n, fmt.Errorf("admin API snapshot: incomplete (%d bytes, SHA-256 %s, the server sent %q)", n, got, want)
	}
	return n, nil
}

// Checkpoint asks the running server to sign a checkpoint now if the log
// grew, and returns the latest signed checkpoint.
func (c *Client) Checkpoint() ([]byte, error) {
	resp, err := c.do(http.MethodPost, "/api/checkpoint")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("admin API checkpoint: %w", err)
	}
	return b, nil
}
