package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// TestMain lets the test binary act as `telltale` in a child process, with
// main's handling of Ctrl-C and SIGTERM.
func TestMain(m *testing.M) {
	if args := os.Getenv("TELLTALE_CHILD_ARGS"); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, strings.Split(args, "\x1f"), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestServe_KillDuringBurst_EveryForwardedRequestCaptured(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	child, addr := startChildServe(t, cfg)
	c := proxyClient(t, addr, data)
	c.Timeout = 5 * time.Second

	// A burst from 16 clients; kill -9 the server in the middle of it.
	burstAndKill(t, child, c, v, 16, 200)
	got := v.received()
	if len(got) < 200 {
		t.Fatalf("upstream saw only %d requests before the kill", len(got))
	}

	// The CLI reads the store as the kill left it, write-ahead log and all:
	// verify applies the log's tail and checks every record and hash.
	if out, errOut, code := cli(t, "verify", "--data", data); code != 0 {
		t.Fatalf("verify after kill -9: exit %d\n%s%s", code, out, errOut)
	}
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatalf("store does not reopen after kill -9: %v", err)
	}
	defer st.Close()
	captured := map[string]bool{}
	err = st.Records(1, func(r *store.Record) error {
		if r.Kind == store.KindRequest {
			for _, h := range r.Head.Headers {
				if h.Name == "X-Req-Id" {
					captured[h.Value] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, id := range got {
		if !captured[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d requests the upstream received have no capture", missing, len(got))
	}
	t.Logf("upstream received %d, store holds %d request records", len(got), len(captured))
}

// burstAndKill has clients goroutines POST through c (each request with
// an X-Req-Id) until the vendor has received at least min requests, then
// kills the child serve with SIGKILL mid-burst and waits for the clients.
func burstAndKill(t *testing.T, child *exec.Cmd, c *http.Client, v *vendor, clients, min int) {
	t.Helper()
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 2000; i++ {
				req, _ := http.NewRequestWithContext(ctx, "POST", "https://las.cloud.com/burst", strings.NewReader(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)))
				req.Header.Set("X-Req-Id", fmt.Sprintf("%d-%d", w, i))
				resp, err := c.Do(req)
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(v.received()) < min && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	cancel()
	wg.Wait()
}

// startChildServe runs `telltale serve -c cfg` in a child process (this
// test binary, see TestMain), killed when the test ends, and returns it
// with its proxy address.
func startChildServe(t *testing.T, cfg string) (*exec.Cmd, string) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "TELLTALE_CHILD_ARGS="+strings.Join([]string{"serve", "-c", cfg}, "\x1f"))
	stdout, _ := child.StdoutPipe()
	child.Stderr = io.Discard
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	return child, waitProxyLine(t, stdout)
}

func waitProxyLine(t *testing.T, r io.Reader) string {
	t.Helper()
	select {
	case a := <-proxyAddr(r):
		return a
	case <-time.After(20 * time.Second):
		t.Fatal("child serve did not start")
	}
	return ""
}
