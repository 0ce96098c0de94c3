package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/telltale/telltale/certs"
)

// Modes, in report order.
const (
	ModeDirect   = "direct"
	ModeGoproxy  = "goproxy"
	ModeTelltale = "telltale"
	ModeMitmdump = "mitmdump"
	// ModeTelltaleDirect is Telltale with capture.wal_direct: its
	// write-ahead log written with O_DIRECT|O_DSYNC, not write+fdatasync.
	// Not in the default modes; name it with -modes.
	ModeTelltaleDirect = "telltale-direct"
)

// proxyProc is one proxy process under measurement.
type proxyProc struct {
	cmd     *exec.Cmd
	url     *url.URL
	roots   *x509.CertPool
	dataDir string // telltale's, for store size
}

func (p *proxyProc) pid() int { return p.cmd.Process.Pid }

// stop ends the process gracefully (SIGTERM), then for good.
func (p *proxyProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

var readyLine = regexp.MustCompile(`(?:^ready |^Proxy on )(127\.0\.0\.1:\d+)`)

// startAndWait starts cmd and waits for a line naming its address.
func startAndWait(cmd *exec.Cmd) (string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return "", err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case a := <-found:
		return a, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return "", fmt.Errorf("%s did not start", cmd.Path)
	}
}

// startTelltale runs serve intercepting localhost; upstreamHost (the
// upstream's localhost:port) is named in upstream.allow_local, since the
// proxy refuses its own host otherwise. walDirect sets capture.wal_direct;
// profile, when set, is where the process writes its CPU profile.
func startTelltale(bin, work, upstreamCA, upstreamHost string, walDirect bool, profile string) (*proxyProc, error) {
	data := filepath.Join(work, "telltale-data")
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\ndata_dir: %s\nadmin:\n  listen: 127.0.0.1:0\nintercept:\n  hosts: [localhost]\nupstream:\n  ca_file: %s\n  allow_local: [%q]\ncapture:\n  wal_direct: %t\nlog:\n  level: info\n  format: json\n",
		data, upstreamCA, upstreamHost, walDirect)
	path := filepath.Join(work, "telltale.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-c", path)
	if profile != "" {
		cmd.Env = append(os.Environ(), "TELLTALE_CPUPROFILE="+profile)
	}
	addr, err := startAndWait(cmd)
	if err != nil {
		return nil, err
	}
	roots, err := poolFromFile(filepath.Join(data, "ca", "ca.pem"))
	if err != nil {
		return nil, err
	}
	return &proxyProc{cmd: cmd, url: &url.URL{Scheme: "http", Host: addr}, roots: roots, dataDir: data}, nil
}

func startGoproxy(self, work, upstreamCA string) (*proxyProc, error) {
	dir := filepath.Join(work, "goproxy-ca")
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), floorEnv+"="+dir+string(os.PathListSeparator)+upstreamCA)
	addr, err := startAndWait(cmd)
	if err != nil {
		return nil, err
	}
	roots, err := poolFromFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, err
	}
	return &proxyProc{cmd: cmd, url: &url.URL{Scheme: "http", Host: addr}, roots: roots}, nil
}

func startMitmdump(work, upstreamCA string) (*proxyProc, error) {
	bin, err := exec.LookPath("mitmdump")
	if err != nil {
		return nil, errSkip
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(work, "mitmproxy")
	cmd := exec.Command(bin, "--listen-host", "127.0.0.1", "--listen-port", port,
		"--set", "confdir="+conf, "--set", "ssl_verify_upstream_trusted_ca="+upstreamCA,
		"--set", "flow_detail=0", "-q")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	caPath := filepath.Join(conf, "mitmproxy-ca-cert.pem")
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			if _, err := os.Stat(caPath); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, errors.New("mitmdump did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	roots, err := poolFromFile(caPath)
	if err != nil {
		return nil, err
	}
	return &proxyProc{cmd: cmd, url: &url.URL{Scheme: "http", Host: addr}, roots: roots}, nil
}

var errSkip = errors.New("not installed")

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

func poolFromFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return p, nil
}

// floorEnv, when set, makes the bench binary run as the bare goproxy floor:
// "CADIR:UPSTREAMCA".
const floorEnv = "TELLTALE_BENCH_FLOOR"

// FloorFromEnv runs the bare goproxy MITM floor when the environment asks
// for it, and reports whether it did. The floor mints leaves with the same
// certs.Authority as Telltale and forwards with a tuned http.Transport, but
// records nothing.
func FloorFromEnv() (bool, error) {
	v := os.Getenv(floorEnv)
	if v == "" {
		return false, nil
	}
	caDir, upCA, _ := strings.Cut(v, string(os.PathListSeparator))
	a, _, err := certs.Open(caDir, certs.Options{Hosts: []string{"localhost"}})
	if err != nil {
		return true, err
	}
	roots, err := poolFromFile(upCA)
	if err != nil {
		return true, err
	}
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = nopLogger{}
	gp.KeepAcceptEncoding = true
	gp.Tr = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true,
		MaxIdleConnsPerHost: 64, DisableCompression: true}
	mitm := &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: func(host string, _ *goproxy.ProxyCtx) (*tls.Config, error) {
		return a.ServerConfig(host), nil
	}}
	gp.OnRequest().HandleConnectFunc(func(host string, _ *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
		return mitm, host
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return true, err
	}
	fmt.Printf("ready %s\n", l.Addr())
	srv := &http.Server{Handler: gp}
	go func() {
		ch := make(chan os.Signal, 1)
		signalNotify(ch)
		<-ch
		srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return true, err
	}
	return true, nil
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
