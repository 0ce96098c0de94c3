package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Browser sign-in. The admin token never travels in a URL: `telltale ui`
// sends it in an Authorization header to POST /api/login/nonce and gets a
// single-use login nonce that expires after NonceTTL. The login URL
// carries the nonce in its fragment (/login#NONCE), which browsers do not
// send to servers, put in Referer headers or show to link previewers; the
// page posts it to /api/login, which burns it and sets a session cookie
// (HttpOnly, SameSite=Strict, Secure over TLS). Requests that change state
// with a session cookie must carry the session's CSRF token in the
// X-Telltale-CSRF header, which only a page of the same origin can read
// (GET /api/session); Bearer requests need none, since browsers never add
// that header on their own.
const (
	NonceTTL      = 2 * time.Minute
	SessionIdle   = 12 * time.Hour
	SessionMax    = 7 * 24 * time.Hour
	SessionCookie = "telltale_session"
	CSRFHeader    = "X-Telltale-CSRF"
)

type session struct {
	csrf          string
	created, seen time.Time
}

// sessions holds login nonces and sessions by the SHA-256 of their
// secrets, so that neither is kept in clear and a lookup leaks no timing
// about the secret.
type sessions struct {
	now func() time.Time

	mu     sync.Mutex
	nonces map[[32]byte]time.Time // expiry
	live   map[[32]byte]*session
}

func newSessions(now func() time.Time) *sessions {
	if now == nil {
		now = time.Now
	}
	return &sessions{now: now, nonces: map[[32]byte]time.Time{}, live: map[[32]byte]*session{}}
}

func secret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *sessions) newNonce() (string, time.Time) {
	n := secret()
	exp := s.now().Add(NonceTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.nonces {
		if s.now().After(e) {
			delete(s.nonces, k)
		}
	}
	s.nonces[sha256.Sum256([]byte(n))] = exp
	return n, exp
}

// login burns a nonce and opens a session; it returns the session id, or
// why it refused.
func (s *sessions) login(nonce string) (id string, sess *session, why string) {
	k := sha256.Sum256([]byte(nonce))
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.nonces[k]
	delete(s.nonces, k) // single use, even when expired
	now := s.now()
	switch {
	case !ok:
		return "", nil, "this login link is unknown or was already used: run `telltale ui` for a new one"
	case now.After(exp):
		return "", nil, "this login link has expired: run `telltale ui` for a new one"
	}
	id = secret()
	sess = &session{csrf: secret(), created: now, seen: now}
	s.live[sha256.Sum256([]byte(id))] = sess
	return id, sess, ""
}

// get returns the live session of a cookie value, and touches it.
func (s *sessions) get(id string) *session {
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.live[k]
	if sess == nil {
		return nil
	}
	now := s.now()
	if now.Sub(sess.seen) > SessionIdle || now.Sub(sess.created) > SessionMax {
		delete(s.live, k)
		return nil
	}
	sess.seen = now
	return sess
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, sha256.Sum256([]byte(id)))
}

// caller is who a request comes from: a Bearer client or a session.
type caller struct {
	bearer bool
	sess   *session
	id     string // the session cookie's value
}

// authenticate finds the caller; the status and message say why not.
func (h *Handler) authenticate(r *http.Request) (caller, int, string) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		got, ok := strings.CutPrefix(auth, "Bearer ")
		if ok && h.opts.Token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.Token)) == 1 {
			return caller{bearer: true}, 0, ""
		}
		return caller{}, http.StatusUnauthorized, "wrong admin token: send Authorization: Bearer <token from DATA/admin.token>"
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return caller{}, http.StatusUnauthorized, "missing admin token: send Authorization: Bearer <token from DATA/admin.token>, or sign in with the link `telltale ui` prints"
	}
	sess := h.sess.get(c.Value)
	if sess == nil {
		return caller{}, http.StatusUnauthorized, "session expired or signed out: run `telltale ui` for a new login link"
	}
	if crossSite(r) {
		return caller{}, http.StatusForbidden, "cross-site request refused"
	}
	if unsafeMethod(r.Method) {
		got := r.Header.Get(CSRFHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) != 1 {
			return caller{}, http.StatusForbidden, "missing or wrong " + CSRFHeader + " header: state-changing calls with a session need the token GET /api/session returns"
		}
	}
	return caller{sess: sess, id: c.Value}, 0, ""
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// crossSite reports a request that a browser says another site made, or
// whose Origin is not this server's.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return true
		}
	}
	return false
}

// newNonce is POST /api/login/nonce, for `telltale ui`; Bearer only.
func (h *Handler) newNonce(w http.ResponseWriter, r *http.Request) {
	if c := callerOf(r); !c.bearer {
		writeError(w, http.StatusForbidden, "login links are made with the admin token (telltale ui), not from a session")
		return
	}
	n, exp := h.sess.newNonce()
	h.warm() // the browser comes next: read the catalog meanwhile
	writeJSON(w, map[string]string{"nonce": n, "path": "/login#" + n, "expires": exp.UTC().Format(time.RFC3339)})
}

// login is POST /api/login {"nonce": "..."}: it needs no token, and sets
// the session cookie.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if crossSite(r) {
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	var in struct{ Nonce string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err != nil || in.Nonce == "" {
		writeError(w, http.StatusBadRequest, `want {"nonce": "..."}`)
		return
	}
	id, sess, why := h.sess.login(in.Nonce)
	if sess == nil {
		writeError(w, http.StatusUnauthorized, why)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		MaxAge: int(SessionMax / time.Second),
	})
	h.opts.Logger.Info().Str("component", "admin").Str("remote", r.RemoteAddr).Msg("admin: browser session opened")
	writeJSON(w, map[string]string{"csrf": sess.csrf})
}

// session is GET /api/session: who is signed in, and the CSRF token.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	out := map[string]any{"bearer": c.bearer, "tls": r.TLS != nil}
	if c.sess != nil {
		out["csrf"] = c.sess.csrf
	}
	writeJSON(w, out)
}

// logout is POST /api/logout.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c := callerOf(r); c.sess != nil {
		h.sess.end(c.id)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: -1})
	writeJSON(w, map[string]bool{"ok": true})
}

// LoginLink asks the running server for a one-time login nonce and
// returns the path of the login page that uses it ("/login#NONCE").
func (c *Client) LoginLink() (path string, expires time.Time, err error) {
	resp, err := c.do(http.MethodPost, "/api/login/nonce")
	if err != nil {
		return "", time.Time{}, err
	}
	defer resp.Body.Close()
	var out struct{ Path, Expires string }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out); err != nil || out.Path == "" {
		return "", time.Time{}, errors.New("admin API login nonce: bad answer")
	}
	expires, _ = time.Parse(time.RFC3339, out.Expires)
	return out.Path, expires, nil
}
