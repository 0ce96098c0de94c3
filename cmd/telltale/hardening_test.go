package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// A limit far beyond the log (issue 11, item 2) returns what exists,
// through the admin API while serve runs and from the store file after.
func TestCLI_List_HugeLimitReturnsWhatExists(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/a", "a", `{"a":1}`)
	post(t, c, "https://cis.citrix.com/b", "b", `{"b":2}`)
	waitComplete(t, 2, "--data", data)

	if got := listJSON(t, "--data", data, "--limit", "100000000000"); len(got) != 2 {
		t.Errorf("list --limit 100000000000 while serving: got %d captures, want 2", len(got))
	}
	base, hc, token := adminAPI(t, data)
	code, body := adminDo(t, hc, "GET", base+"/api/captures?limit=100000000000", token)
	var caps []struct{ ID string } // the API's ids stay strings, as they always were
	if err := json.Unmarshal([]byte(body), &caps); code != 200 || err != nil || len(caps) != 2 {
		t.Errorf("GET /api/captures?limit=100000000000: got %d %q, want 200 and 2 captures", code, body)
	}
	code, body = adminDo(t, hc, "GET", base+"/api/captures?order=desc&limit=10&offset=100000000000", token)
	if code != 200 || body != "[]\n" {
		t.Errorf("GET /api/captures?offset=100000000000: got %d %q, want 200 and an empty page", code, body)
	}
	stop()

	if got := listJSON(t, "--data", data, "--limit", "100000000000"); len(got) != 2 {
		t.Errorf("list --limit 100000000000 from the file: got %d captures, want 2", len(got))
	}
}

// runChild runs one telltale command line in a child process (this test
// binary, see TestMain), so that a crash is the child's, and returns what
// it printed and its exit code.
func runChild(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "TELLTALE_CHILD_ARGS="+strings.Join(args, "\x1f"))
	var out, errb bytes.Buffer
	child.Stdout, child.Stderr = &out, &errb
	err := child.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errb.String(), child.ProcessState.ExitCode()
}

// A damaged telltale.db (issue 11, item 6) stops list, verify and serve
// with exit 1 and one line that says what is wrong, not a SIGBUS.
func TestCLI_DamagedStore_ClearErrorNoCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	for i := range 40 {
		post(t, c, "https://las.cloud.com/upload", fmt.Sprint(i), strings.Repeat(`{"x":1}`, 100+i))
	}
	waitComplete(t, 40, "--data", data)
	stop()
	db := filepath.Join(data, "telltale.db")
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	cut := fi.Size()/2 - 2*int64(os.Getpagesize())
	for _, tc := range []struct {
		name string
		size int64
		want string
	}{
		// Just under half: bbolt grows the file to a power of two, so its
		// high water mark may sit a page below the middle, and cutting
		// only unused pages is no damage.
		{"truncated below 50%", cut, fmt.Sprintf("telltale.db is truncated: %d bytes, the database needs ", cut)},
		{"empty", 0, "telltale.db is empty (0 bytes); restore it from a backup"},
	} {
		if err := os.Truncate(db, tc.size); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"list", "--data", data},
			{"verify", "--data", data},
			{"serve", "-c", cfg},
		} {
			out, errOut, code := runChild(t, args...)
			if code != 1 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "goroutine") ||
				strings.Count(strings.TrimSpace(errOut), "\n") > 0 && args[0] != "serve" {
				t.Errorf("%s: telltale %s: exit %d, stderr %q, stdout %q; want exit 1 and one line saying %q",
					tc.name, args[0], code, errOut, out, tc.want)
			}
		}
	}
}

// A capture left without a response record (issue 11, item 8) is a
// warning of verify that names it, not a tamper failure; the next serve
// marks it, and list shows why.
func TestCLI_Verify_WarnsAboutCapturesWithoutResponse(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/a", "a", `{"a":1}`)
	waitComplete(t, 1, "--data", data)
	stop()
	// A request whose response record never made it: the process died,
	// or the disk was full until it stopped.
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := st.Append(context.Background(), &store.Record{Kind: store.KindRequest, Host: "las.cloud.com", Port: "443",
		Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/cut", Proto: "HTTP/1.1"}}, nil)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("telltale: warning: 1 capture has no recorded response (the store could not write it, "+
		"or Telltale stopped first; `telltale show --id ID` says which): %d\n", cut)
	out, errOut, code := cli(t, "verify", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "ok: ") || !strings.Contains(errOut, want) {
		t.Errorf("verify: exit %d, stdout %q, stderr %q; want exit 0, ok, and the warning %q", code, out, errOut, want)
	}

	_, stop = startServeStop(t, "-c", cfg)
	stop()
	found := false
	for _, it := range listJSON(t, "--data", data) {
		if string(it.ID) != fmt.Sprint(cut) {
			continue
		}
		found = true
		if !it.Complete || it.Error != store.Interrupted {
			t.Errorf("capture %d after serve restarted: got %+v, want it complete with the error %q", cut, it, store.Interrupted)
		}
	}
	if !found {
		t.Errorf("list after serve restarted: no capture %d", cut)
	}
	out, errOut, code = cli(t, "verify", "--data", data)
	if code != 0 || !strings.Contains(errOut, want) {
		t.Errorf("verify after the restart: exit %d, stdout %q, stderr %q; want exit 0 and the warning %q", code, out, errOut, want)
	}
}
