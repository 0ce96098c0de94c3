package admin

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"sync"
)

// The review UI: a single page (admin/ui), embedded in the binary and
// served without a token, since it holds no data; everything it shows
// comes from /api/, which needs one.
//
//go:embed ui
var uiFS embed.FS

// csp allows only this origin's own script, style, images and requests:
// no inline script, nothing from elsewhere, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// asset is one embedded file with its ETag.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

var (
	assetsOnce sync.Once
	assets     map[string]asset // URL path -> file
)

func loadAssets() {
	assets = map[string]asset{}
	fs.WalkDir(uiFS, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := uiFS.ReadFile(p)
		sum := sha256.Sum256(b)
		a := asset{body: b, ctype: mime.TypeByExtension(path.Ext(p)), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		assets["/"+p] = a
		if p == "ui/index.html" {
			assets["/"] = a
			assets["/login"] = a
		}
		return nil
	})
}

// serveAsset serves the page and its files; it reports false for any
// other request.
func serveAsset(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	assetsOnce.Do(loadAssets)
	a, ok := assets[r.URL.Path]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	w.Write(a.body)
	return true
}

// setSecurityHeaders applies to every answer, page or API.
func setSecurityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

type callerKey struct{}

func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// guard serves what needs no token (the page, POST /api/login) and
// authenticates everything else; it reports whether it answered.
func (h *Handler) guard(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	setSecurityHeaders(w.Header())
	if serveAsset(w, r) {
		return r, true
	}
	if r.Method == http.MethodPost && r.URL.Path == "/api/login" {
		h.login(w, r)
		return r, true
	}
	c, code, msg := h.authenticate(r)
	if code != 0 {
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="telltale"`)
		}
		writeError(w, code, msg)
		return r, true
	}
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c)), false
}

// routes is the API's ServeMux, which remembers its patterns so that
// tests can reach every route (Handler.Routes).
type routes struct {
	*http.ServeMux
	mu       sync.Mutex
	patterns []string
}

func newRoutes() *routes { return &routes{ServeMux: http.NewServeMux()} }

// HandleFunc registers and remembers a pattern.
func (m *routes) HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request)) {
	m.remember(pattern)
	m.ServeMux.HandleFunc(pattern, fn)
}

// Handle registers and remembers a pattern.
func (m *routes) Handle(pattern string, h http.Handler) {
	m.remember(pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routes) remember(p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.patterns = append(m.patterns, p)
}

// Routes lists the API's patterns ("GET /api/captures/{id}"), sorted,
// and the page's paths.
func (h *Handler) Routes() []string {
	h.mux.mu.Lock()
	out := append([]string(nil), h.mux.patterns...)
	h.mux.mu.Unlock()
	assetsOnce.Do(loadAssets)
	for p := range assets {
		out = append(out, "GET "+p)
	}
	out = append(out, "POST /api/login")
	sort.Strings(out)
	return out
}
