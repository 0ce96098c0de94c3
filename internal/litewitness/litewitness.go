// Package litewitness starts a real C2SP tlog-witness for tests:
// litewitness from filippo.io/torchwood v0.6.1 (.ci/run installs it, with
// its witnessctl), on a loopback port, with its own SQLite database, its
// key served by an in-process ssh-agent, and one log it accepts.
//
// litewitness learns which logs it cosigns only from its database:
// `witnessctl add-log -origin O` starts the log at size 0, and
// `witnessctl add-key -origin O -key VKEY` gives it the log's verifier key
// (whose name must be the origin). Its own Ed25519 key comes from an
// ssh-agent socket (-ssh-agent), picked by SSH fingerprint (-key).
package litewitness

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cosig "github.com/transparency-dev/formats/note"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/internal/gobin"
)

// Version is the torchwood release the tests run.
const Version = "v0.6.1"

// Witness is a running litewitness.
type Witness struct {
	URL  string // http://127.0.0.1:PORT, the prefix of /add-checkpoint
	Name string // its name, in its cosignature lines
	Key  string // its cosignature/v1 verifier key
	DB   string

	log *lockedBuffer // its stderr
}

// Tools finds litewitness and witnessctl: on PATH, in GOBIN or in
// GOPATH/bin. A
// test that needs them is skipped without them, but fails under CI=true,
// where .ci/run installs them.
func Tools(tb testing.TB) (litewitness, witnessctl string) {
	tb.Helper()
	litewitness, witnessctl = gobin.Find("litewitness"), gobin.Find("witnessctl")
	if litewitness == "" || witnessctl == "" {
		msg := "litewitness or witnessctl not installed: go install filippo.io/torchwood/cmd/litewitness@" + Version +
			" filippo.io/torchwood/cmd/witnessctl@" + Version
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return litewitness, witnessctl
}

// Start runs a litewitness that accepts the log whose verifier key is
// logKey (its origin is the key's name) until the test ends.
func Start(tb testing.TB, logKey string) *Witness {
	tb.Helper()
	lw, ctl := Tools(tb)
	dir := tb.TempDir()
	w := &Witness{Name: "witness.telltale.test", DB: filepath.Join(dir, "litewitness.db"), log: &lockedBuffer{}}
	origin, _, _ := strings.Cut(strings.TrimSpace(logKey), "+")
	for _, args := range [][]string{
		{"add-log", "-db", w.DB, "-origin", origin},
		{"add-key", "-db", w.DB, "-origin", origin, "-key", strings.TrimSpace(logKey)},
	} {
		if out, err := exec.Command(ctl, args...).CombinedOutput(); err != nil {
			tb.Fatalf("witnessctl %s: %v\n%s", args[0], err, out)
		}
	}
	sock, fingerprint, pub := serveAgent(tb)
	vkey, err := note.NewEd25519VerifierKey(w.Name, pub)
	if err != nil {
		tb.Fatal(err)
	}
	if w.Key, err = cosig.VKeyToCosignatureV1(vkey); err != nil {
		tb.Fatal(err)
	}
	addr := freePort(tb)
	w.URL = "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, lw, "-db", w.DB, "-name", w.Name, "-key", fingerprint, "-ssh-agent", sock, "-listen", addr)
	cmd.Stderr, cmd.Stdout = w.log, w.log
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	w.wait(tb, addr, exited)
	return w
}

// wait waits until the witness listens.
func (w *Witness) wait(tb testing.TB, addr string, exited <-chan struct{}) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			tb.Fatalf("litewitness exited:\n%s", w.log.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("litewitness did not listen on %s:\n%s", addr, w.log.String())
}

// Log is what litewitness wrote so far.
func (w *Witness) Log() string { return w.log.String() }

// serveAgent serves an ssh-agent holding a new Ed25519 key on a unix
// socket, and returns the socket, the key's SSH fingerprint and its
// public key.
func serveAgent(tb testing.TB) (sock, fingerprint string, pub ed25519.PublicKey) {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		tb.Fatal(err)
	}
	// A unix socket path must be short: t.TempDir's may not be.
	dir, err := os.MkdirTemp("", "lw")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	sock = filepath.Join(dir, "a.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				agent.ServeAgent(keyring, c)
			}()
		}
	}()
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return sock, ssh.FingerprintSHA256(sp), pub
}

func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.b.String())
}
