package doctor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// refusalWindow is how far back doctor looks in the store for refused
// handshakes when serve is not running.
const refusalWindow = 7 * 24 * time.Hour

// checkRefusals says whether clients refused the certificate Telltale
// minted for an intercepted host: from the running serve (GET
// /api/refusals, which also names the hosts passed through), else from
// the store's captures of the last 7 days. Either is a fail: those
// clients' uploads fail, or pass uninspected.
func (d *doctor) checkRefusals() {
	ans, err := d.serveRefusals()
	if errors.Is(err, errNoServe) {
		ans, err = d.storedRefusals()
	}
	switch {
	case err != nil:
		d.line(checkWarn, "refusals", "cannot tell whether clients refuse the CA: %v", err)
		return
	case len(ans.Refusals) == 0:
		d.line(checkOK, "refusals", "no client refused Telltale's certificate %s", ans.since)
		return
	}
	for _, r := range ans.Refusals {
		d.line(checkFail, "refusals", "%s refused the certificate for %s %d times %s (the last at %s, %s): trust the CA "+
			"(`telltale ca export`) in the store that client uses (on Windows the machine's Trusted Root store)",
			r.Client, r.Host, r.Count, ans.since, r.Last.UTC().Format(time.RFC3339), r.Alert)
	}
	for _, p := range ans.PassThrough {
		d.line(checkWarn, "refusals", "%s's traffic to %s passes through uninspected until %s (intercept.on_client_refusal: tunnel)",
			p.Client, p.Host, p.Until.UTC().Format(time.RFC3339))
	}
}

var errNoServe = errors.New("serve is not running")

type refusalsSeen struct {
	admin.RefusalsAnswer
	since string // "since serve started", "in the last 7 days"
}

func (d *doctor) serveRefusals() (refusalsSeen, error) {
	out := refusalsSeen{since: "since serve started"}
	if !d.serveAnswers() {
		return out, errNoServe
	}
	info, _ := server.ReadAdminInfo(d.cfg.DataDir)
	base, hc, err := info.Endpoint()
	if err != nil {
		return out, err
	}
	if hc == nil {
		hc = &http.Client{}
	}
	hc.Timeout = d.timeout
	tok, err := os.ReadFile(filepath.Join(d.cfg.DataDir, server.AdminTokenFile))
	if err != nil {
		return out, fmt.Errorf("admin token: %w", err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/refusals", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := hc.Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("GET /api/refusals: %s", resp.Status)
	}
	return out, json.NewDecoder(resp.Body).Decode(&out.RefusalsAnswer)
}

func (d *doctor) storedRefusals() (refusalsSeen, error) {
	out := refusalsSeen{since: "in the last 7 days"}
	if _, err := os.Stat(filepath.Join(d.cfg.DataDir, store.DBFile)); errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	st, err := store.Open(d.cfg.DataDir, store.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if err != nil {
		return out, err
	}
	defer st.Close()
	caps, err := st.List(store.Query{Since: d.now().Add(-refusalWindow)})
	if err != nil {
		return out, err
	}
	seen := map[string]int{}
	for _, c := range caps {
		if !c.RefusedTLS() {
			continue
		}
		ip := c.Client
		if i := strings.LastIndexByte(ip, ':'); i > 0 {
			ip = strings.Trim(ip[:i], "[]")
		}
		key := ip + " " + c.URL
		i, ok := seen[key]
		if !ok {
			i = len(out.Refusals)
			seen[key] = i
			out.Refusals = append(out.Refusals, refusalOf(ip, c))
		}
		r := &out.Refusals[i]
		r.Count++
		if t, err := time.Parse(store.TimeFormat, c.Time); err == nil && t.After(r.Last) {
			r.Last, r.Alert = t, alertOf(c.Error)
		}
	}
	return out, nil
}

func refusalOf(ip string, c store.Capture) proxy.Refusal {
	return proxy.Refusal{Client: ip, Host: c.URL}
}

// alertOf is the "TLS alert …" part of a refused handshake's error.
func alertOf(msg string) string {
	_, rest, ok := strings.Cut(msg, " with ")
	if !ok {
		return "alert unknown"
	}
	alert, _, _ := strings.Cut(rest, " after ")
	return alert
}
