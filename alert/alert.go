package alert

import (
	"fmt"
	"strings"
	"time"
)

// Alert kinds.
const (
	KindUpstreamFailed     = "upstream_failed"
	KindUpstreamRecovered  = "upstream_recovered"
	KindCaptureFailed      = "capture_failed"
	KindStoreSize          = "store_size"
	KindDiskLow            = "disk_low"
	KindNewEndpoint        = "new_endpoint"
	KindDrift              = "drift"
	KindCheckpointUnsigned = "checkpoint_unsigned"
	KindAnchorFailed       = "anchor_failed"
	KindPlainUserNames     = "plain_user_names"
	KindTest               = "test"
	KindClientRefusedTLS   = "client_refused_tls" // refusal.go
	KindPassThrough        = "pass_through"       // refusal.go
)

// Severities.
const (
	Critical = "critical"
	Warning  = "warning"
	Info     = "info"
)

// Alert is one notification, as posted to the webhook.
type Alert struct {
	Kind     string    `json:"kind"`
	Severity string    `json:"severity"`
	Summary  string    `json:"summary"`
	Detail   string    `json:"detail,omitempty"`
	Host     string    `json:"host,omitempty"` // the upstream host concerned, if any
	Time     time.Time `json:"time"`
	Source   string    `json:"source"` // the machine Telltale runs on
	// Repeats is how many alerts like this one were held back since the
	// last one was sent (see Options.Repeat).
	Repeats int    `json:"repeats,omitempty"`
	Text    string `json:"text"` // "[telltale] " + Summary, for chat webhooks

	// Subject tells alerts of one kind apart for Options.Repeat: the
	// host, the endpoint, the path.
	Subject string `json:"-"`
}

func (a Alert) key() string { return a.Kind + "\x00" + a.Subject }

// UpstreamFailed reports an intercepted exchange whose upstream could not
// be reached or failed TLS verification.
func (n *Notifier) UpstreamFailed(host, why string) {
	n.failing(host, true)
	summary := fmt.Sprintf("LAS unreachable: %s could not be reached through Telltale. "+
		"The license server's daily activation is at risk until it can reach Citrix again.", host)
	if telemetryHost(host) {
		summary = fmt.Sprintf("Citrix upload host unreachable: %s could not be reached through Telltale. "+
			"License server uploads (compliance telemetry, Call Home) fail until it can.", host)
	}
	n.Notify(Alert{Kind: KindUpstreamFailed, Severity: Critical, Host: host, Subject: host, Summary: summary,
		Detail: "The license server got a 502 from Telltale: " + why +
			". Check the network path with `telltale doctor` (DNS, firewall, upstream.proxy)."})
}

// UpstreamOK reports a good exchange with host; after a failure alert it
// sends a recovery alert.
func (n *Notifier) UpstreamOK(host string) {
	if !n.failing(host, false) {
		return
	}
	n.Notify(Alert{Kind: KindUpstreamRecovered, Severity: Info, Host: host, Subject: host,
		Summary: fmt.Sprintf("%s is reachable again through Telltale.", host)})
}

// CaptureFailed reports a record the store refused. For a request, it was
// not forwarded: Telltale never forwards what it could not record.
func (n *Notifier) CaptureFailed(host, why string) {
	n.Notify(Alert{Kind: KindCaptureFailed, Severity: Critical, Host: host, Subject: host,
		Summary: fmt.Sprintf("Telltale could not record traffic to %s, so it did not forward it.", host),
		Detail:  why + ". Check the data dir's disk (space, permissions) and the log."})
}

// ResponseNotRecorded reports an exchange that was recorded and forwarded
// but whose response record the store refused (a full disk): the client
// got its response, the log lacks it.
func (n *Notifier) ResponseNotRecorded(host string, id uint64, why string) {
	n.Notify(Alert{Kind: KindCaptureFailed, Severity: Critical, Host: host, Subject: host,
		Summary: fmt.Sprintf("Telltale forwarded traffic to %s but could not record the response (capture %d).", host, id),
		Detail: why + ". Check the data dir's disk (space, permissions) and the log; the capture says " +
			"\"response not recorded\" once the store can write again, and `telltale verify` lists such captures."})
}

// StoreSize reports a store larger than the configured threshold.
func (n *Notifier) StoreSize(size, threshold int64) {
	n.Notify(Alert{Kind: KindStoreSize, Severity: Warning, Subject: "store",
		Summary: fmt.Sprintf("The Telltale store takes %s, more than alerts.size_threshold_bytes (%s).", human(size), human(threshold)),
		Detail:  "Set capture.retention (max_age, max_bytes) to prune old bodies, then run `telltale compact` during a maintenance window to give the space back."})
}

// DiskLow reports a data dir file system with less free space than the
// configured minimum.
func (n *Notifier) DiskLow(dir string, free, min uint64) {
	n.Notify(Alert{Kind: KindDiskLow, Severity: Critical, Subject: dir,
		Summary: fmt.Sprintf("Disk nearly full: %s free for the Telltale data dir %s (alerts.min_free_bytes: %s).", human(int64(free)), dir, human(int64(min))),
		Detail:  "When the store cannot write, Telltale refuses to forward intercepted requests (write-ahead), and the license server loses its path to Citrix."})
}

// NewEndpoint reports an endpoint (host and path) seen for the first time.
func (n *Notifier) NewEndpoint(host, path string) {
	n.Notify(Alert{Kind: KindNewEndpoint, Severity: Warning, Host: host, Subject: host + path,
		Summary: fmt.Sprintf("New endpoint: the license server sent to %s%s for the first time.", host, path)})
}

// Drift reports a payload whose shape or fields changed against earlier
// captures of the same endpoint.
func (n *Notifier) Drift(host, path, what string) {
	n.Notify(Alert{Kind: KindDrift, Severity: Warning, Host: host, Subject: host + path,
		Summary: fmt.Sprintf("Drift: what the license server sends to %s%s changed.", host, path), Detail: what})
}

// PlainUserNames reports an upload that sent user@domain names in clear:
// Citrix's username anonymisation is not in effect.
func (n *Notifier) PlainUserNames(host, path, what string) {
	n.Notify(Alert{Kind: KindPlainUserNames, Severity: Warning, Host: host, Subject: host + path,
		Summary: fmt.Sprintf("Personal data: the license server sent user names as user@domain, in clear, to %s%s.", host, path), Detail: what})
}

// CheckpointUnsigned reports a checkpoint of the log that could not be
// signed.
func (n *Notifier) CheckpointUnsigned(err error) {
	n.Notify(Alert{Kind: KindCheckpointUnsigned, Severity: Warning, Subject: "checkpoint",
		Summary: "Telltale could not sign a checkpoint of its log: captures since the last checkpoint are not yet witnessed.",
		Detail:  err.Error()})
}

// AnchorFailed reports a checkpoint that could not be timestamped by the
// TSA (what "rfc3161") or sent to the witness (what "witness"); serve
// retries at the next checkpoint interval.
func (n *Notifier) AnchorFailed(what string, err error) {
	summary := "Telltale could not get a timestamp for a checkpoint of its log from the TSA; it retries every checkpoint interval."
	severity := Warning
	switch what {
	case "witness":
		summary = "Telltale could not send a checkpoint of its log to the witness; it retries every checkpoint interval."
	case "cosignatures": // store.AnchorCosignatures
		summary = "A witness did not cosign the latest checkpoint of Telltale's log; Telltale retries at the next checkpoint."
		if strings.Contains(err.Error(), "FORKED") { // evidence.ErrForked
			severity = Critical
			summary = "A witness refused a checkpoint of Telltale's log: the log does not extend what the witness cosigned before, " +
				"so it was rewritten (or restored from an old copy). Keep the data dir as it is and compare it with a backup."
		}
	}
	n.Notify(Alert{Kind: KindAnchorFailed, Severity: severity, Subject: what, Summary: summary, Detail: err.Error()})
}

// telemetryHost is a Citrix upload host rather than LAS
// (shared/las-reference.md: cis.citrix.com is Citrix Insight Services).
func telemetryHost(host string) bool {
	return strings.HasPrefix(strings.ToLower(host), "cis.")
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
