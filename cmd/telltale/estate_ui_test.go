package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/versitygw"
)

func TestEstate_UIReviewsEveryLicenseServerReadOnly(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	versitygw.Env(t, "TT_S3_ACCESS", "TT_S3_SECRET")
	keyA, _ := archiveSite(t, srv, "fra", 2)
	keyB, _ := archiveSite(t, srv, "iad", 3)
	estateYAML := filepath.Join(t.TempDir(), "estate.yaml")
	os.WriteFile(estateYAML, []byte(fmt.Sprintf(`archive: {endpoint: %s, bucket: evidence, access_key_env: TT_S3_ACCESS, secret_key_env: TT_S3_SECRET}
logs:
  - {name: Frankfurt, key: %q, prefix: fra}
  - {name: Virginia, key: %q, prefix: iad}
`, srv.Endpoint, keyA, keyB)), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"estate", "ui", "-c", estateYAML}, pw, io.Discard)
		pw.Close()
		done <- code
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("estate ui exited %d", code)
		}
	}()
	login := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := regexp.MustCompile(`^Estate review: (\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				login <- m[1]
			}
		}
	}()
	var link string
	select {
	case link = <-login:
	case <-time.After(20 * time.Second):
		t.Fatal("estate ui printed no link")
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	page := getPage(t, hc, link)
	for _, want := range []string{"Frankfurt", "Virginia", "verified", `href="/open/2"`} {
		if !strings.Contains(page, want) {
			t.Errorf("estate page lacks %q:\n%s", want, page)
		}
	}
	if again, err := http.Get(link); err != nil || again.StatusCode != http.StatusUnauthorized {
		t.Errorf("the login link a second time: %v %v, want 401", again, err)
	}
	if other, err := http.Get(strings.Replace(link, "/login", "/open/1", 1)); err != nil || other.StatusCode != http.StatusUnauthorized {
		t.Errorf("a license server's review without signing in: %v %v, want 401", other, err)
	}

	// Virginia's review UI, signed in through the estate page: its three
	// captures, and nothing may be changed.
	base, _ := url.Parse(link)
	resp, err := hc.Get(base.Scheme + "://" + base.Host + "/open/2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ui := resp.Request.URL // http://127.0.0.1:PORT/login#NONCE
	body, _ := json.Marshal(map[string]string{"nonce": ui.Fragment})
	req, _ := http.NewRequest("POST", ui.Scheme+"://"+ui.Host+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", ui.Scheme+"://"+ui.Host)
	if resp, err := hc.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in to Virginia's review UI: %v %v", resp, err)
	}
	var caps []map[string]any
	if err := json.Unmarshal([]byte(getPage(t, hc, ui.Scheme+"://"+ui.Host+"/api/captures")), &caps); err != nil || len(caps) != 3 {
		t.Errorf("Virginia's captures: %d (%v), want 3", len(caps), err)
	}
	put, _ := http.NewRequest("PUT", ui.Scheme+"://"+ui.Host+"/api/entitlements", strings.NewReader(`[]`))
	if resp, err := hc.Do(put); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("PUT entitlements in the estate review: %v %v, want 403", resp, err)
	}
}

func getPage(t *testing.T, hc *http.Client, u string) string {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	return string(b)
}
