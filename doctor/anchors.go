package doctor

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/server"
)

// checkAnchors asks evidence.tsa_url for a timestamp of a test message,
// checked as serve checks each checkpoint's, and says where checkpoints
// go. Nothing is posted to the witness: a test entry would sit in its
// record of this log.
func (d *doctor) checkAnchors() {
	ev := d.cfg.Evidence
	if ev.WitnessURL != "" {
		d.line(checkOK, "witness", "each checkpoint is posted to %s", hostOf(ev.WitnessURL))
	}
	if ev.TSAURL == "" {
		d.line(checkWarn, "tsa", "no evidence.tsa_url: checkpoints are signed by the log key only; nothing outside this machine dates them")
		return
	}
	a, err := server.NewAnchorer(ev, "", server.OutboundClient(d.cfg, ""))
	if err != nil {
		d.line(checkFail, "tsa", "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	msg := fmt.Appendf(nil, "telltale doctor %s\n", d.now().UTC().Format(time.RFC3339Nano))
	tsr, err := a.TSA.Stamp(ctx, msg)
	if err != nil {
		d.line(checkFail, "tsa", "%s: %s; checkpoints go without timestamps until it answers", hostOf(ev.TSAURL), shortErr(err))
		return
	}
	st, err := evidence.CheckTimestamp(tsr, msg, a.TSA.Roots)
	if err != nil {
		d.line(checkFail, "tsa", "%v", err)
		return
	}
	trust := "trusted through evidence.tsa_ca_file"
	if !st.Trusted {
		trust = "not checked against a root: set evidence.tsa_ca_file"
	}
	d.line(checkOK, "tsa", "%s: timestamp granted by %s, %s", hostOf(ev.TSAURL), st.TSA, trust)
}

// hostOf is the host of a URL, for a line that should not show a path
// that may hold a token.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}
