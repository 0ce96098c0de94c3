package doctor

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/telltale/telltale/configs"
)

// Check outcomes, in the order of severity.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "fail"
)

// ErrChecksFailed is Run's error when a check failed; the fail lines say
// what to do. `telltale doctor` exits 1 on it.
var ErrChecksFailed = errors.New("doctor: some checks failed (the fail lines above say what to do)")

// Options say what to check and where to write the lines.
type Options struct {
	Out io.Writer
	// Load reads the configuration to check, with the command line's
	// overrides, and validates it; its error is the config check's fail.
	Load func() (*configs.Config, error)
	// ConfigFile names the configuration in the config line; "" is the
	// embedded default.
	ConfigFile string
	// Demo says ConfigFile is DATA/demo.yaml, written by `telltale demo`.
	Demo bool
	// From says where ConfigFile came from when no -c named it (the
	// installed service's command line, or the service's default lookup).
	From string
	// Timeout bounds each upstream host (DNS, connect, TLS handshake), the
	// TSA and the test alert; 0 means 5 seconds.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SendAlert sends a test alert to alerts.webhook.
	SendAlert bool
}

// Run runs every check, one line each, and returns ErrChecksFailed when
// any failed.
func Run(o Options) error {
	d := &doctor{out: o.Out, file: o.ConfigFile, demo: o.Demo, from: o.From, timeout: o.Timeout, now: o.Now}
	if d.timeout <= 0 {
		d.timeout = 5 * time.Second
	}
	if d.now == nil {
		d.now = time.Now
	}
	if !d.loadConfig(o.Load) {
		return ErrChecksFailed
	}
	d.checkPorts()
	d.checkClients()
	d.checkSentBy() // sentby.go
	ca := d.checkCA()
	d.checkClock(ca)
	d.checkStore()
	d.checkDisk()
	d.checkUpstreams()
	d.checkTrust(ca)
	d.checkProxy()
	d.checkAlerts(o.SendAlert)
	d.checkAnchors()
	d.checkArchive()  // archive.go
	d.checkRefusals() // refusals.go
	if d.failed {
		return ErrChecksFailed
	}
	return nil
}

// doctor checks a deployment the way a new operator would, one line per
// check. A fail means Telltale will not work as configured; a warn is worth
// a look but does not stop it.
type doctor struct {
	out     io.Writer
	cfg     *configs.Config
	file    string // -c, "" for the embedded default
	demo    bool   // file is DATA/demo.yaml, written by `telltale demo`
	from    string // where file came from, without -c
	timeout time.Duration
	now     func() time.Time
	failed  bool
}

// line prints one check's result.
func (d *doctor) line(status, check, format string, args ...any) {
	if status == checkFail {
		d.failed = true
	}
	fmt.Fprintf(d.out, "%-4s  %-9s %s\n", status, check, fmt.Sprintf(format, args...))
}

func (d *doctor) loadConfig(load func() (*configs.Config, error)) bool {
	name := d.file
	if name == "" {
		name = "the embedded default configuration"
	}
	cfg, err := load()
	if err != nil {
		d.line(checkFail, "config", "%v", err)
		return false
	}
	d.cfg = cfg
	abs, _ := filepath.Abs(cfg.DataDir)
	if d.demo {
		name += " (written by `telltale demo`)"
	}
	if d.from != "" {
		name += " (" + d.from + ")"
	}
	d.line(checkOK, "config", "%s is valid; data dir %s", name, abs)
	return true
}
