package bench

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/telltale/telltale/certs"
	"github.com/telltale/telltale/store"
)

// Config is one benchmark run.
type Config struct {
	TelltaleBin string   // built telltale binary
	Self        string   // this binary, re-run as the goproxy floor
	WorkDir     string   // fresh stores and CAs go here
	Modes       []string // default: all four
	Workloads   []Workload
	Log         io.Writer // progress
	// ProfileDir, when set, receives a CPU profile of each telltale
	// process, WORKLOAD-MODE.pprof, over its whole run (warm-up and
	// shutdown included).
	ProfileDir string
	// OnResult, when set, receives the results so far after every
	// measurement, so that a long run that is cut off loses nothing.
	OnResult func([]Result)
}

// DefaultWorkloads are the shapes: the telemetry shape (small JSON
// POSTs over keep-alive) swept over 1, 8 and 64 clients, a new TLS
// connection per request, and 1 MiB uploads.
func DefaultWorkloads(d time.Duration) []Workload {
	return []Workload{
		{Name: "small-keepalive-c1", Concurrency: 1, BodySize: 512, Duration: d},
		{Name: "small-keepalive-c8", Concurrency: 8, BodySize: 512, Duration: d},
		{Name: "small-keepalive-c64", Concurrency: 64, BodySize: 512, Duration: d},
		{Name: "small-newconn-c8", Concurrency: 8, BodySize: 512, NewConn: true, Duration: d},
		{Name: "upload-1MiB-c8", Concurrency: 8, BodySize: 1 << 20, Duration: d},
	}
}

// BigUploads is the memory workload: 64 clients each uploading 100 MiB.
func BigUploads() Workload {
	return Workload{Name: "upload-100MiB-c64", Concurrency: 64, BodySize: 100 << 20, Duration: 5 * time.Minute, MaxRequests: 1}
}

// Result is one mode under one workload.
type Result struct {
	Mode     string `json:"mode"`
	Workload string `json:"workload"`
	Requests int    `json:"requests"`
	Errors   int    `json:"errors"`
	// Unfinished counts requests of a fixed-count workload that had not
	// completed when its time ran out.
	Unfinished int     `json:"unfinished,omitempty"`
	FirstErr   string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	RPS        float64 `json:"rps"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	// Proxy process figures; zero for direct.
	CPUPer1k        float64 `json:"cpu_seconds_per_1k"`
	PeakRSSMiB      float64 `json:"peak_rss_mib"`
	StoreBytesPerEx float64 `json:"store_bytes_per_capture,omitempty"`
	Skipped         string  `json:"skipped,omitempty"`
}

// Run measures every workload in every mode.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if len(cfg.Modes) == 0 {
		cfg.Modes = []string{ModeDirect, ModeGoproxy, ModeTelltale, ModeMitmdump}
	}
	up, err := startUpstream(cfg.WorkDir)
	if err != nil {
		return nil, err
	}
	defer up.close()
	var out []Result
	for _, w := range cfg.Workloads {
		for _, m := range cfg.Modes {
			r, err := measure(ctx, cfg, up, m, w)
			if err != nil {
				return out, fmt.Errorf("%s/%s: %w", m, w.Name, err)
			}
			fmt.Fprintf(cfg.Log, "%-22s %-9s %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  cpu/1k %6.2f s  rss %6.1f MiB  errors %d  unfinished %d %s\n",
				w.Name, m, r.RPS, r.P50ms, r.P99ms, r.CPUPer1k, r.PeakRSSMiB, r.Errors, r.Unfinished, r.Skipped)
			out = append(out, r)
			if cfg.OnResult != nil {
				cfg.OnResult(out)
			}
		}
	}
	return out, nil
}

func measure(ctx context.Context, cfg Config, up *upstream, mode string, w Workload) (Result, error) {
	res := Result{Mode: mode, Workload: w.Name}
	work, err := os.MkdirTemp(cfg.WorkDir, mode+"-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	var p *proxyProc
	switch mode {
	case ModeDirect:
	case ModeGoproxy:
		p, err = startGoproxy(cfg.Self, work, up.caFile)
	case ModeTelltale, ModeTelltaleDirect:
		profile := ""
		if cfg.ProfileDir != "" {
			profile = filepath.Join(cfg.ProfileDir, w.Name+"-"+mode+".pprof")
		}
		p, err = startTelltale(cfg.TelltaleBin, work, up.caFile, up.host(), mode == ModeTelltaleDirect, profile)
	case ModeMitmdump:
		p, err = startMitmdump(work, up.caFile)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if errors.Is(err, errSkip) {
		res.Skipped = "mitmdump not installed (apt-get install mitmproxy)"
		return res, nil
	}
	if err != nil {
		return res, err
	}
	roots := up.roots
	var proxy = p.urlOrNil()
	if p != nil {
		defer p.stop()
		roots = p.roots
	}
	// Warm up: connections, leaf certificates, the Go runtime.
	runLoad(ctx, Workload{Concurrency: w.Concurrency, BodySize: 64, Duration: 2 * time.Second, MaxRequests: 3, NewConn: w.NewConn}, up.target, proxy, roots)
	cpu0 := p.cpu()
	lr := runLoad(ctx, w, up.target, proxy, roots)
	cpu1 := p.cpu()
	res.Requests, res.Errors, res.FirstErr, res.Unfinished = lr.Requests, lr.Errors, lr.FirstErr, lr.Unfinished
	res.Seconds = lr.Elapsed.Seconds()
	res.RPS = float64(lr.Requests) / lr.Elapsed.Seconds()
	res.P50ms = ms(percentile(lr.Latencies, 0.50))
	res.P99ms = ms(percentile(lr.Latencies, 0.99))
	if p != nil {
		rss, _ := procPeakRSS(p.pid())
		res.PeakRSSMiB = float64(rss) / (1 << 20)
	}
	if p != nil && lr.Requests > 0 {
		res.CPUPer1k = (cpu1 - cpu0) / float64(lr.Requests) * 1000
		if p.dataDir != "" {
			res.StoreBytesPerEx = float64(dirSize(p.dataDir)) / float64(lr.Requests+3*w.Concurrency)
		}
	}
	return res, nil
}

func (p *proxyProc) urlOrNil() *url.URL {
	if p == nil {
		return nil
	}
	return p.url
}

func (p *proxyProc) cpu() float64 {
	if p == nil {
		return 0
	}
	c, _ := procCPU(p.pid())
	return c
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// dirSize is the bytes of the store file and blobs under dir. The
// write-ahead log (store.WALDir) is left out: its segments are a fixed
// preallocation (store.DefaultSegmentSize each, one or two at a time),
// removed once their records are in the store file, not growth per
// capture.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path == filepath.Join(dir, store.WALDir) {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// upstream is the local TLS server every mode talks to: it reads each body
// and answers a small JSON.
type upstream struct {
	srv    *http.Server
	target string
	caFile string
	roots  *x509.CertPool
}

func startUpstream(work string) (*upstream, error) {
	a, _, err := certs.Open(filepath.Join(work, "upstream-ca"), certs.Options{Hosts: []string{"localhost"}})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"received":"yes"}`)
	}), TLSConfig: a.ServerConfig("localhost")}
	go srv.ServeTLS(l, "", "")
	caFile := filepath.Join(work, "upstream-ca.pem")
	if err := os.WriteFile(caFile, a.CertPEM(), 0o644); err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(a.Certificate())
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return &upstream{srv: srv, target: "https://localhost:" + port + "/api/upload", caFile: caFile, roots: roots}, nil
}

func (u *upstream) close() { u.srv.Close() }

// host is the upstream's localhost:port.
func (u *upstream) host() string {
	tu, _ := url.Parse(u.target)
	return tu.Host
}
