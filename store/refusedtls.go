package store

import "strings"

// A client that aborts the TLS handshake with the certificate Telltale
// minted for an intercepted host (it does not trust Telltale's CA, it
// has a trust store of its own, or it pins the server's certificate) is
// recorded as a KindDenied record whose Error starts with
// ClientRefusedTLS and names the client's TLS alert. When
// intercept.on_client_refusal: tunnel then passes the host through
// uninspected, each such connection is a KindTunnel record whose Error
// starts with PassedThrough. Both are ordinary records and leaves: the
// log format does not change, and list, show, verify, the UI and export
// bundles show them as denied captures and tunnels with that reason.

// ClientRefusedTLS starts the Error of a denied record of a refused
// handshake.
const ClientRefusedTLS = "client refused TLS"

// PassedThrough starts the Error of a tunnel record of an intercepted
// host that Telltale passed through after its client refused the
// certificate.
const PassedThrough = "passed through uninspected"

// RefusedTLS reports whether r records a client's refused handshake.
func (r *Record) RefusedTLS() bool {
	return r.Kind == KindDenied && strings.HasPrefix(r.Error, ClientRefusedTLS)
}

// RefusedTLS reports whether c is a client's refused handshake.
func (c *Capture) RefusedTLS() bool {
	return c.Kind == CaptureDenied && strings.HasPrefix(c.Error, ClientRefusedTLS)
}
