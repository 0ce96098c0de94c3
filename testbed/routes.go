package testbed

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// routes builds the mux. Each LAS host serves the same LAS paths; the
// catch-all GET on every host is the reachability probe.
func (l *LAS) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, h := range trustHosts {
		mux.Handle("POST "+h+"/root/tokens/clients", l.route(EndpointToken, false, l.token))
	}
	for _, h := range lasHosts {
		mux.Handle("POST "+h+"/{ccid}/licenseserver/activation/renew", l.route(EndpointRenew, true, l.renew))
		mux.Handle("POST "+h+"/support/{ccid}/{product}/listls", l.route(EndpointListLS, true, l.listls))
		mux.Handle("POST "+h+"/support/{ccid}/{product}/offlineactivation", l.route(EndpointOffline, true, l.offline))
		mux.Handle("POST "+h+"/{ccid}/netscalerfixedbw/customerentitlements", l.route(EndpointEntitlements, true, l.entitlements))
	}
	mux.Handle("POST "+cisHost+"/api/upload/LicenseServerCompliance", l.route(EndpointCompliance, true, l.compliance))
	mux.Handle("POST "+cisHost+"/api/upload/LicenseServer.OnPremUsage", l.route(EndpointUsage, true, l.usage))
	mux.Handle("POST "+cisHost+"/api/callhome/LicenseServer", l.route(EndpointCallHome, true, l.callHome))
	mux.Handle("POST "+cisHost+"/api/ceip/SendBrokerTelemetryData", l.route(EndpointCEIP, true, l.ceip))
	for _, h := range l.Hosts() {
		mux.Handle("GET "+h+"/", l.route(EndpointProbe, false, l.probe))
	}
	mux.HandleFunc("/", l.notFound)
	return mux
}

// route names the endpoint of the exchange and, when authed, demands a
// token this LAS issued.
func (l *LAS) route(e Endpoint, authed bool, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setEndpoint(r.Context(), e)
		if authed && !l.authorized(r) {
			// Invented: the challenge and the error body.
			w.Header().Set("WWW-Authenticate", `CWSAuth bearer`)
			writeError(w, http.StatusUnauthorized, "missing or invalid CWSAuth bearer token")
			return
		}
		h(w, r)
	})
}

// authorized accepts "CWSAuth bearer=<token>" (public), scheme and key in any case.
func (l *LAS) authorized(r *http.Request) bool {
	scheme, params, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "CWSAuth") {
		return false
	}
	key, token, ok := strings.Cut(strings.TrimSpace(params), "=")
	if !ok || !strings.EqualFold(key, "bearer") {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok = l.tokens[token]
	return ok
}

func (l *LAS) token(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "decode token request: "+err.Error())
		return
	}
	clients := l.opts.Clients
	if clients == nil {
		clients = map[string]string{DefaultClientID: DefaultClientSecret}
	}
	if secret, ok := clients[req.ClientID]; !ok || secret != req.ClientSecret {
		writeError(w, http.StatusUnauthorized, "unknown client id or wrong secret")
		return
	}
	l.mu.Lock()
	l.issued++
	tok := l.mintToken(req.ClientID, l.issued)
	l.tokens[tok] = req.ClientID
	l.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{Token: tok, ExpiresIn: 3600})
}

// mintToken shapes a token like a JWT. Invented: real tokens are opaque to
// us; this one depends only on the seed, the client and the count.
func (l *LAS) mintToken(clientID string, n int) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://trust.citrixworkspacesapi.net", "sub": clientID,
		"jti": l.derive("token", clientID, fmt.Sprint(n))[:32], "scope": "las",
	})
	sig, _ := hex.DecodeString(l.derive("sig", clientID, fmt.Sprint(n)))
	return head + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(slices.Concat(sig, sig))
}

// probe answers any GET: a reachability check such as Test-CitrixLASPot.ps1
// makes. Invented body.
func (l *LAS) probe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"service": hostOnly(r.Host), "status": "ok"})
}

// notFound tells a path this host does not serve (404) from a host that is
// not simulated at all (421).
func (l *LAS) notFound(w http.ResponseWriter, r *http.Request) {
	if slices.Contains(l.Hosts(), hostOnly(r.Host)) {
		writeError(w, http.StatusNotFound, "no such endpoint on "+hostOnly(r.Host))
		return
	}
	writeError(w, http.StatusMisdirectedRequest, "host not served by the testbed: "+r.Host)
}

// derive returns a hex SHA-256 of the seed and parts: ids that are stable
// for a seed, whatever the order of requests.
func (l *LAS) derive(parts ...string) string {
	h := sha256.New()
	binary.Write(h, binary.BigEndian, l.opts.Seed)
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// uuidOf formats the first 16 bytes of a hex digest as a version 4 UUID.
func uuidOf(digest string) string {
	b, _ := hex.DecodeString(digest[:32])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","message":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers with the invented error shape {"error","message"}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"), Message: msg})
}
