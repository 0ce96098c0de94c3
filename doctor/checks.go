package doctor

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/alert"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// clockFloor is a time this build cannot predate; a clock before it is
// wrong. The VCS time of the build replaces it when the binary has one.
var clockFloor = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// caWarnBefore is how long before the CA expires doctor starts warning.
const caWarnBefore = 30 * 24 * time.Hour

func (d *doctor) checkPorts() {
	serving := d.serveAnswers()
	for _, p := range []struct{ key, addr string }{{"listen", d.cfg.Listen}, {"admin.listen", d.cfg.Admin.Listen}} {
		ln, err := net.Listen("tcp", p.addr)
		switch {
		case err == nil:
			ln.Close()
			d.line(checkOK, "ports", "%s %s is free", p.key, p.addr)
		case serving:
			d.line(checkOK, "ports", "%s %s is held by the running telltale serve%s", p.key, p.addr, server.PIDNote(d.cfg.DataDir))
		default:
			d.line(checkFail, "ports", "%s %s cannot be used: %v (another program holds it? change %s)", p.key, p.addr, err, p.key)
		}
	}
}

// serveAnswers reports whether a serve on this data dir answers /healthz.
func (d *doctor) serveAnswers() bool {
	code, _, err := server.Health(d.cfg.DataDir, "/healthz")
	return err == nil && code == http.StatusOK
}

// checkCA returns the CA certificate, or nil when there is none.
func (d *doctor) checkCA() *x509.Certificate {
	dir, _ := filepath.Abs(filepath.Join(d.cfg.DataDir, "ca"))
	pemBytes, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		d.line(checkFail, "ca", "no interception CA in %s: run `telltale serve` once to create it (%v)", dir, err)
		return nil
	}
	ca, err := parseCertPEM(pemBytes)
	if err != nil {
		d.line(checkFail, "ca", "%s: %v", filepath.Join(dir, "ca.pem"), err)
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "ca-key.pem")); err != nil {
		d.line(checkFail, "ca", "the CA key is missing (%v): serve cannot mint certificates", err)
		return ca
	}
	left := ca.NotAfter.Sub(d.now())
	expires := ca.NotAfter.UTC().Format("2006-01-02")
	switch {
	case left <= 0:
		d.line(checkFail, "ca", "expired on %s: run `telltale ca rotate` and trust the new CA on the license server", expires)
	case left < caWarnBefore:
		d.line(checkWarn, "ca", "expires on %s, in %d days: run `telltale ca rotate` and trust the new CA before then", expires, int(left.Hours()/24))
	default:
		d.line(checkOK, "ca", "%s valid until %s", filepath.Join(dir, "ca.pem"), expires)
	}
	if missing := uncoveredBy(ca, d.cfg.Intercept.Hosts); len(missing) > 0 {
		d.line(checkFail, "ca", "does not cover %s (its name constraints were fixed when it was made): run `telltale ca rotate`", strings.Join(missing, ", "))
	}
	return ca
}

// uncoveredBy lists the intercept patterns the CA's name constraints do not
// permit.
func uncoveredBy(ca *x509.Certificate, hosts []string) []string {
	var out []string
	for _, h := range hosts {
		name := strings.TrimPrefix(h, "*.")
		ok := len(ca.PermittedDNSDomains) == 0
		for _, d := range ca.PermittedDNSDomains {
			d = strings.TrimPrefix(d, ".")
			if name == d || strings.HasSuffix(name, "."+d) {
				ok = true
			}
		}
		if !ok {
			out = append(out, h)
		}
	}
	return out
}

func (d *doctor) checkClock(ca *x509.Certificate) {
	now := d.now()
	floor := clockFloor
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if t, err := time.Parse(time.RFC3339, s.Value); s.Key == "vcs.time" && err == nil && t.After(floor) {
				floor = t
			}
		}
	}
	stamp := now.UTC().Format(time.RFC3339)
	switch {
	case now.Before(floor):
		d.line(checkFail, "clock", "%s is before this build (%s): set the clock (captures and checkpoints are stamped with it)", stamp, floor.Format("2006-01-02"))
	case ca != nil && now.Before(ca.NotBefore):
		d.line(checkFail, "clock", "%s is before the CA was made (%s): set the clock, or clients will reject the CA", stamp, ca.NotBefore.UTC().Format(time.RFC3339))
	default:
		d.line(checkOK, "clock", "%s (UTC)", stamp)
	}
}

// leavesChecked is how many of the newest leaves doctor recomputes.
const leavesChecked = 100

func (d *doctor) checkStore() {
	dir := d.cfg.DataDir
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); errors.Is(err, os.ErrNotExist) {
		d.line(checkWarn, "store", "no store in %s yet: serve creates it on first start", dir)
		return
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		d.storeHeld()
		return
	}
	if err != nil {
		d.line(checkFail, "store", "%v", err)
		return
	}
	defer st.Close()
	n, root, err := checkTree(st)
	if err != nil {
		d.line(checkFail, "store", "the log does not check: %v (run `telltale verify` for the full report)", err)
		return
	}
	if n == 0 {
		d.line(checkOK, "store", "opens; no captures yet")
		return
	}
	d.line(checkOK, "store", "%d records, root %s…; the newest %d leaves and the tree hashes check", n, hex.EncodeToString(root[:])[:16], min(n, leavesChecked))
}

// storeHeld asks the serve that holds the store whether it is ready.
func (d *doctor) storeHeld() {
	code, body, err := server.Health(d.cfg.DataDir, "/readyz")
	switch {
	case err != nil:
		d.line(checkFail, "store", "held by another process whose admin API does not answer (%v): is a stale serve hanging?", err)
	case code != http.StatusOK:
		d.line(checkFail, "store", "held by the running telltale serve%s, which is not ready: %s", server.PIDNote(d.cfg.DataDir), body)
	default:
		d.line(checkOK, "store", "held by the running telltale serve%s, which reports ready (store writable, CA loaded)", server.PIDNote(d.cfg.DataDir))
	}
}

// checkTree recomputes the newest leaves from their records and checks
// them, and an inclusion proof of the last one, against the stored tree
// hashes: cheap, unlike `telltale verify`, which reads everything.
func checkTree(st *store.Store) (uint64, tlog.Hash, error) {
	n, err := st.Size()
	if err != nil || n == 0 {
		return n, tlog.Hash{}, err
	}
	root, err := st.TreeHash(n)
	if err != nil {
		return n, root, err
	}
	hr := st.HashReader()
	var last tlog.Hash
	err = st.Records(n-min(n, leavesChecked)+1, func(r *store.Record) error {
		data, err := store.LeafData(r)
		if err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		last = tlog.RecordHash(data)
		stored, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, int64(r.Seq-1))})
		if err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		if stored[0] != last {
			return fmt.Errorf("record %d (capture %d) does not match its leaf hash", r.Seq, r.Capture)
		}
		return nil
	})
	if err != nil {
		return n, root, err
	}
	proof, err := tlog.ProveRecord(int64(n), int64(n-1), hr)
	if err == nil {
		err = tlog.CheckRecord(proof, int64(n), root, int64(n-1), last)
	}
	return n, root, err
}

func (d *doctor) checkDisk() {
	free, err := store.DiskFree(d.cfg.DataDir)
	if err != nil {
		free, err = store.DiskFree(filepath.Dir(filepath.Clean(d.cfg.DataDir)))
	}
	if err != nil {
		d.line(checkWarn, "disk", "cannot measure free space: %v", err)
		return
	}
	if min := uint64(d.cfg.Alerts.MinFreeBytes); min > 0 && free < min {
		d.line(checkWarn, "disk", "%s free, below alerts.min_free_bytes (%s): serve refuses to forward what it cannot record", configs.ByteSize(free), configs.ByteSize(min))
		return
	}
	d.line(checkOK, "disk", "%s free for the data dir", configs.ByteSize(free))
}

// checkTrust asks whether the machine trusts the CA the way the service
// and the License Server will see it (trust_windows.go: LocalMachine\Root;
// trust_other.go: the system roots).
func (d *doctor) checkTrust(ca *x509.Certificate) {
	if ca == nil {
		return
	}
	status, msg := machineTrust(ca)
	d.line(status, "trust", "%s", msg)
}

// trustHint says how to trust the CA on the license server.
const trustHint = "On the license server, as administrator: `telltale ca export --der -o C:\\telltale-ca.cer` then " +
	"`certutil -addstore Root C:\\telltale-ca.cer` (docs/windows.md)"

func (d *doctor) checkAlerts(send bool) {
	w := d.cfg.Alerts.Webhook
	if dl := countLines(filepath.Join(d.cfg.DataDir, server.DeadLetterFile)); dl > 0 {
		d.line(checkWarn, "alerts", "%d alerts could not be delivered: see %s", dl, filepath.Join(d.cfg.DataDir, server.DeadLetterFile))
	}
	if w == "" {
		d.line(checkWarn, "alerts", "no alerts.webhook: alerts go to the log only (warn level)")
		return
	}
	host := w
	if i := strings.Index(w, "://"); i >= 0 {
		host, _, _ = strings.Cut(w[i+3:], "/")
	}
	if !send {
		d.line(checkOK, "alerts", "webhook on %s (send a test alert with --alert)", host)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	err := alert.Send(ctx, &http.Client{}, w, alert.Alert{Kind: alert.KindTest, Severity: alert.Info,
		Summary: "Test alert from `telltale doctor`: alerts from this Telltale reach you."})
	if err != nil {
		d.line(checkFail, "alerts", "the test alert did not reach %s: %s", host, shortErr(err))
		return
	}
	d.line(checkOK, "alerts", "test alert accepted by %s", host)
}

func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		n++
	}
	return n
}

// shortErr keeps the first line of an error.
func shortErr(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
