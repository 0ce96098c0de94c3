package admin

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is an adjustable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// nonce mints a login nonce with the admin token, as `telltale ui` does.
func nonce(t *testing.T, base string, hc *http.Client) string {
	t.Helper()
	c := &Client{Base: base, Token: uiToken, HTTP: hc}
	path, exp, err := c.LoginLink()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(path, "/login#") || strings.Contains(path, uiToken) || exp.IsZero() {
		t.Fatalf("login link: got %q (expires %v), want /login#NONCE without the token", path, exp)
	}
	return strings.TrimPrefix(path, "/login#")
}

// login trades a nonce for a session and returns the response.
func login(t *testing.T, hc *http.Client, base, n string, hdr ...string) *http.Response {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"nonce": n})
	req, _ := http.NewRequest("POST", base+"/api/login", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// browserSession is a browser: it keeps the cookie and the CSRF token.
type browserSession struct {
	t      *testing.T
	hc     *http.Client
	base   string
	cookie *http.Cookie
	csrf   string
}

func signIn(t *testing.T, hc *http.Client, base string) *browserSession {
	t.Helper()
	n := nonce(t, base, hc)
	b, _ := json.Marshal(map[string]string{"nonce": n})
	resp, err := hc.Post(base+"/api/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ CSRF string }
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 || out.CSRF == "" {
		t.Fatalf("login: got %d, cookies %v, csrf %q", resp.StatusCode, resp.Cookies(), out.CSRF)
	}
	return &browserSession{t: t, hc: hc, base: base, cookie: resp.Cookies()[0], csrf: out.CSRF}
}

func (s *browserSession) do(method, path string, hdr ...string) *http.Response {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader("{}"))
	req.AddCookie(s.cookie)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestAuth_LoginNonce_SingleUseShortLived(t *testing.T) {
	clk := &clock{t: t0}
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Now: clk.now})
	hc := srv.Client()

	s := signIn(t, hc, srv.URL)
	c := s.cookie
	if c.Name != SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" {
		t.Errorf("cookie: got %+v, want HttpOnly, SameSite=Strict, not Secure over plain HTTP", c)
	}
	if r := s.do("GET", "/api/captures?order=desc"); r.StatusCode != 200 {
		t.Errorf("with the session: got %d, want 200", r.StatusCode)
	}

	n := nonce(t, srv.URL, hc)
	if r := login(t, hc, srv.URL, n); r.StatusCode != 200 {
		t.Fatalf("first use: got %d", r.StatusCode)
	}
	if r := login(t, hc, srv.URL, n); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("reused nonce: got %d, want 401", r.StatusCode)
	}
	if r := login(t, hc, srv.URL, "made-up"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown nonce: got %d, want 401", r.StatusCode)
	}
	if r := login(t, hc, srv.URL, ""); r.StatusCode != http.StatusBadRequest {
		t.Errorf("empty nonce: got %d, want 400", r.StatusCode)
	}
	n = nonce(t, srv.URL, hc)
	clk.add(NonceTTL + time.Second)
	if r := login(t, hc, srv.URL, n); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired nonce: got %d, want 401", r.StatusCode)
	}
	n = nonce(t, srv.URL, hc)
	if r := login(t, hc, srv.URL, n, "Sec-Fetch-Site", "cross-site"); r.StatusCode != http.StatusForbidden {
		t.Errorf("login from another site: got %d, want 403", r.StatusCode)
	}
	// A session cannot mint login links: only the token can.
	if r := s.do("POST", "/api/login/nonce", CSRFHeader, s.csrf); r.StatusCode != http.StatusForbidden {
		t.Errorf("nonce from a session: got %d, want 403", r.StatusCode)
	}
	// Sessions end when idle.
	clk.add(SessionIdle + time.Minute)
	if r := s.do("GET", "/api/captures?order=desc"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("idle session: got %d, want 401", r.StatusCode)
	}
}

func TestAuth_FailuresAcrossRoutes(t *testing.T) {
	srv, h := newReviewAPI(t, Options{Store: openTestStore(t)})
	for _, route := range h.Routes() {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{id}", "1", "{side}", "request", "{sha}", strings.Repeat("a", 64)).Replace(path)
		if !strings.HasPrefix(path, "/api/") || path == "/api/login" {
			continue
		}
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + uiToken[1:], "Basic " + uiToken} {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: "forged"})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with %q: got %d, want 401", route, auth, resp.StatusCode)
			}
		}
	}
}

func TestAuth_CSRF_GuardsStateChangingCalls(t *testing.T) {
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t)})
	s := signIn(t, srv.Client(), srv.URL)
	for _, path := range []string{"/api/exports", "/api/verify", "/api/logout", "/api/checkpoint", "/api/reconcile"} {
		if r := s.do("POST", path); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without %s: got %d, want 403", path, CSRFHeader, r.StatusCode)
		}
		if r := s.do("POST", path, CSRFHeader, "wrong"); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s with a wrong token: got %d, want 403", path, r.StatusCode)
		}
		if r := s.do("POST", path, CSRFHeader, s.csrf, "Sec-Fetch-Site", "cross-site"); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s from another site: got %d, want 403", path, r.StatusCode)
		}
		if r := s.do("POST", path, CSRFHeader, s.csrf, "Origin", "http://evil.example"); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s from another origin: got %d, want 403", path, r.StatusCode)
		}
	}
	// With the token the call goes through: export has no Evidence here.
	if r := s.do("POST", "/api/exports", CSRFHeader, s.csrf, "Sec-Fetch-Site", "same-origin"); r.StatusCode != http.StatusNotImplemented {
		t.Errorf("POST /api/exports with the CSRF token: got %d, want 501 (no evidence here)", r.StatusCode)
	}
	// Bearer calls need no CSRF token: browsers never send that header by themselves.
	if r := call(t, "POST", srv.URL+"/api/exports", map[string]any{}, nil); r.StatusCode != http.StatusNotImplemented {
		t.Errorf("POST /api/exports with the token: got %d, want 501", r.StatusCode)
	}
	if r := s.do("POST", "/api/logout", CSRFHeader, s.csrf); r.StatusCode != 200 {
		t.Fatalf("logout: got %d", r.StatusCode)
	}
	if r := s.do("GET", "/api/captures?order=desc"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout: got %d, want 401", r.StatusCode)
	}
}

func TestAuth_SecureCookieOverTLS(t *testing.T) {
	h := NewHandler(Options{Store: openTestStore(t), Token: uiToken})
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(func() { h.Close(); srv.Close() })
	s := signIn(t, srv.Client(), srv.URL)
	if !s.cookie.Secure {
		t.Errorf("cookie over TLS: got %+v, want Secure", s.cookie)
	}
}

func TestUI_PageWithoutToken_DataWithOne(t *testing.T) {
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t)})
	for path, ctype := range map[string]string{"/": "text/html", "/login": "text/html", "/ui/app.js": "text/javascript", "/ui/app.css": "text/css", "/ui/js/captures.js": "text/javascript"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: got %d %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	for _, path := range []string{"/api/session", "/api/events", "/ui/../api/captures", "/favicon.ico"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: got %d, want 401", path, resp.StatusCode)
		}
	}
}
