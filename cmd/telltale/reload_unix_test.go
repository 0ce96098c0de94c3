//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/telltale/telltale/server"
)

func TestServe_Reload_SIGHUPAndAPI(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeOpsConfig(t, v, "")
	orig, _ := os.ReadFile(cfg)
	addr := startServe(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/before", "a", "{}")

	// A keep-alive connection to las.cloud.com stays up across reloads.
	os.WriteFile(cfg, append(orig, []byte("others: deny\ncapture:\n  max_body_bytes: 1000\n")...), 0o644)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	tunnel := func() int {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n")
		var proto string
		var code int
		fmt.Fscan(conn, &proto, &code)
		return code
	}
	deadline := time.Now().Add(5 * time.Second)
	for tunnel() != http.StatusForbidden {
		if time.Now().After(deadline) {
			t.Fatal("others: deny not in force 5s after SIGHUP")
		}
		time.Sleep(20 * time.Millisecond)
	}
	post(t, c, "https://las.cloud.com/after-reload", "b", "{}")

	base, hc, token := adminAPI(t, data)
	os.WriteFile(cfg, append(orig, []byte("others: tunnel\n")...), 0o644)
	if code, _ := adminDo(t, hc, "POST", base+"/-/reload", ""); code != http.StatusUnauthorized {
		t.Errorf("/-/reload without the token: got %d, want 401", code)
	}
	code, body := adminDo(t, hc, "POST", base+"/-/reload", token)
	var res server.ReloadResult
	json.Unmarshal([]byte(body), &res)
	if code != 200 || !contains(res.Applied, "others") {
		t.Errorf("/-/reload: got %d %s, want others applied", code, body)
	}
	if code := tunnel(); code == http.StatusForbidden {
		t.Errorf("others: tunnel after the API reload: still 403")
	}

	// A host the CA does not cover: nothing is applied.
	os.WriteFile(cfg, []byte(strings.Replace(string(orig), "api.cloud.com]", "api.cloud.com, telemetry.example.net]", 1)), 0o644)
	if code, body := adminDo(t, hc, "POST", base+"/-/reload", token); code != http.StatusBadRequest || !strings.Contains(body, "ca rotate") {
		t.Errorf("reload with an uncovered host: got %d %s, want 400 pointing at ca rotate", code, body)
	}
}
