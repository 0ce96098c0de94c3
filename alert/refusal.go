package alert

import (
	"fmt"
	"net"
)

// ClientRefusedTLS reports a client that aborted the TLS handshake with
// the certificate Telltale minted for host: its uploads to host fail
// until it trusts the Telltale CA, and licensing degrades toward its
// grace period. pass says this refusal started a pass-through.
func (n *Notifier) ClientRefusedTLS(host, client, why string, pass bool) {
	ip := clientIP(client)
	summary := fmt.Sprintf("%s refused Telltale's certificate for %s: its traffic to %s fails, and license "+
		"activation and uploads degrade toward the grace period until it trusts the Telltale CA.", ip, host, host)
	if pass {
		summary = fmt.Sprintf("%s refused Telltale's certificate for %s again; its traffic to %s now passes through "+
			"uninspected (intercept.on_client_refusal: tunnel).", ip, host, host)
	}
	n.Notify(Alert{Kind: KindClientRefusedTLS, Severity: Critical, Host: host, Subject: ip + " " + host, Summary: summary,
		Detail: why + ". Trust the CA (`telltale ca export`) in the store the client uses (on Windows the machine's " +
			"Trusted Root store, not a user's), then check with `telltale doctor`."})
}

// PassThrough reports a connection to an intercepted host that passed
// through uninspected after its client refused the certificate.
func (n *Notifier) PassThrough(host, client, why string) {
	ip := clientIP(client)
	n.Notify(Alert{Kind: KindPassThrough, Severity: Warning, Host: host, Subject: ip + " " + host,
		Summary: fmt.Sprintf("Traffic from %s to %s passes through Telltale uninspected: the client refused Telltale's certificate.", ip, host),
		Detail: why + ". It is recorded as tunnels (bytes and times, no content). End it with DELETE " +
			"/api/refusals/pass-through on the admin API, a config reload, or when the period ends."})
}

func clientIP(client string) string {
	if h, _, err := net.SplitHostPort(client); err == nil {
		return h
	}
	return client
}
