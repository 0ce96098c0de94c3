package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/telltale/telltale/store"
)

// routes puts the operational endpoints in front of the admin API:
//
//	GET  /healthz   liveness: the process answers. No token.
//	GET  /readyz    readiness: the store is writable, the CA is loaded
//	                and valid. No token: it says ok or what is wrong,
//	                nothing about the traffic.
//	GET  /metrics   Prometheus text format, with the admin token
//	                (Authorization: Bearer, which Prometheus supports).
//	POST /-/reload  reload the config file like SIGHUP (admin token).
//
// Everything else goes to the admin API, which checks the token itself.
func (s *Server) routes(api http.Handler, token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /archivez", s.archivez) // archive.go
	mux.Handle("GET /metrics", bearer(token, s.ops.Metrics.Handler()))
	mux.Handle("POST /-/reload", bearer(token, http.HandlerFunc(s.reloadHTTP)))
	mux.Handle("/", api)
	return mux
}

// readyz answers 200 when serve can do its job, 503 naming what fails.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	checks := map[string]string{"store": "ok", "ca": "ok"}
	ready := true
	if err := s.storeWritable(); err != nil {
		checks["store"], ready = err.Error(), false
	}
	if err := s.caValid(time.Now()); err != nil {
		checks["ca"], ready = err.Error(), false
	}
	status, code := "ready", http.StatusOK
	if !ready {
		status, code = "not ready", http.StatusServiceUnavailable
	}
	writeHealth(w, code, map[string]any{"status": status, "checks": checks})
}

// storeWritable is a cheap check that the next append can commit, which
// never waits for the store: the store takes records (not full, the
// indexer not failing), the last commit did not fail otherwise, and a file
// can be created in the store's tmp dir (the disk is writable and not
// full to the last block).
func (s *Server) storeWritable() error {
	if err := s.Store.Writable(); err != nil {
		return err
	}
	if err := s.ops.lastCommitErr(); err != nil && !errors.Is(err, store.ErrFull) { // Writable says when that is over
		return fmt.Errorf("last commit failed: %w", err)
	}
	f, err := os.CreateTemp(filepath.Join(s.cfg.DataDir, store.TmpDir), "readyz-*")
	if err != nil {
		return fmt.Errorf("data dir not writable: %w", err)
	}
	_, err = f.Write([]byte("ok"))
	f.Close()
	os.Remove(f.Name())
	if err != nil {
		return fmt.Errorf("data dir not writable: %w", err)
	}
	return nil
}

func (s *Server) caValid(now time.Time) error {
	if s.CA == nil {
		return errors.New("not loaded")
	}
	c := s.CA.Certificate()
	switch {
	case now.Before(c.NotBefore):
		return fmt.Errorf("not valid before %s: is the clock right?", c.NotBefore.UTC().Format(time.RFC3339))
	case now.After(c.NotAfter):
		return fmt.Errorf("expired on %s: run `telltale ca rotate`", c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// bearer lets through requests with the admin token.
func bearer(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="telltale"`)
			writeHealth(w, http.StatusUnauthorized, map[string]any{
				"error": "missing or wrong admin token: send Authorization: Bearer <token from DATA/admin.token>"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func writeHealth(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
