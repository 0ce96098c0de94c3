package proxy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/telltale/telltale/store"
)

// checkTarget checks the request-target of a request that is forwarded in
// origin form ("/path?query") or asterisk form ("*", OPTIONS only), byte by
// byte against RFC 9112 section 3.2 and RFC 3986 appendix A. A target with
// anything else (a control byte, a space, a '#', non-ASCII, a lone '%') is
// refused, so that what goes upstream is exactly what was recorded and no
// HTTP library on the way can reject or rewrite it.
func checkTarget(method, target string) error {
	if target == "*" {
		if method != http.MethodOptions {
			return badRequestError("request target * is only for OPTIONS")
		}
		return nil
	}
	if !strings.HasPrefix(target, "/") {
		return badRequestError(fmt.Sprintf("request target %s is not in origin form (/path?query)", quoteTarget(truncate(target, 60))))
	}
	for i := 0; i < len(target); i++ {
		c := target[i]
		switch {
		case c == '?':
			// Starts the query, which takes the same bytes plus '?'.
		case c == '%':
			if i+2 >= len(target) || !isHex(target[i+1]) || !isHex(target[i+2]) {
				return badRequestError(fmt.Sprintf("request target has a '%%' at offset %d not followed by two hex digits", i))
			}
			i += 2
		case !isPathByte(c):
			return badRequestError(fmt.Sprintf("request target has byte 0x%02x at offset %d, outside RFC 9112's request-target grammar", c, i))
		}
	}
	return nil
}

// isPathByte reports whether c may appear as itself in an origin-form
// target: pchar (unreserved, sub-delims, ':' and '@') or '/'.
func isPathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// quoteTarget makes a target that may hold any byte safe to show and to
// record: printable ASCII stays as it is, anything else is escaped Go-style.
func quoteTarget(target string) string {
	for i := 0; i < len(target); i++ {
		if target[i] <= ' ' || target[i] >= 0x7f {
			q := strconv.QuoteToASCII(target)
			return q[1 : len(q)-1]
		}
	}
	return target
}

// targetURL makes the upstream URL of a checked origin-form or asterisk-form
// target, such that net/http writes the target exactly as the client sent
// it: URL.RequestURI returns RawPath verbatim when it is a valid encoding of
// Path, and RawQuery verbatim. (Opaque would not do: RequestURI turns an
// Opaque "//host/x" into "https://host/x".)
func targetURL(scheme, authority, target string) (*url.URL, error) {
	if target == "*" {
		return &url.URL{Scheme: scheme, Host: authority, Opaque: "*"}, nil
	}
	rawPath, query, hasQuery := strings.Cut(target, "?")
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		return nil, fmt.Errorf("bad request target: %w", err)
	}
	u := &url.URL{Scheme: scheme, Host: authority, Path: path, RawPath: rawPath, RawQuery: query, ForceQuery: hasQuery && query == ""}
	if u.RequestURI() != target {
		// Cannot happen for a target checkTarget accepted; refuse rather
		// than send something other than what was recorded.
		return nil, fmt.Errorf("request target %s cannot be sent verbatim", quoteTarget(truncate(target, 60)))
	}
	return u, nil
}

// refuseRequest records a request that was read but refused before it
// went anywhere (a bad target, two Host fields), and reports it.
func (p *Proxy) refuseRequest(o *outbound, why string) {
	rec := &store.Record{
		Kind:    store.KindDenied,
		Time:    p.now(),
		Client:  o.client,
		Process: o.process,
		Host:    o.host,
		Port:    o.port,
		Error:   why,
		Head:    &store.Head{Method: o.in.Method, URL: refusedURL(o), Proto: o.in.Proto, Headers: o.in.Fields},
	}
	id, err := p.opts.Recorder.Append(context.Background(), rec, nil)
	if err != nil {
		p.log.Error().Err(err).Msg("could not record a refused request")
	}
	p.observe(Event{Kind: store.CaptureDenied, ID: id, Host: o.host, Method: o.in.Method, URL: rec.Head.URL, Err: why, CaptureFailed: err != nil})
	p.log.Warn().Str("client", o.client).Str("method", o.in.Method).Str("target", rec.Head.URL).Str("why", why).Msg("request refused")
}

// refusedURL is the URL recorded for a refused request: absolute for an
// origin-form target, otherwise the target as sent (absolute form,
// authority form), escaped where it holds unprintable bytes.
func refusedURL(o *outbound) string {
	if strings.HasPrefix(o.in.Target, "/") {
		return o.scheme + "://" + o.authority() + quoteTarget(o.in.Target)
	}
	return quoteTarget(o.in.Target)
}
