package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

func TestCLI_Backup_WhileServingUnderLoad(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "capture:\n  max_body_bytes: 1048576\n")
	addr := startServe(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	big := strings.Repeat("usage bundle ", 40000) // 520 kB: a blob file, outside the database
	post(t, c, "https://las.cloud.com/upload", "big", big)

	// Keep traffic going while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := c.Post("https://cis.citrix.com/upload", "application/json", strings.NewReader(`{"n":1}`))
			if err != nil {
				t.Errorf("traffic during the backup: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	time.Sleep(50 * time.Millisecond)
	out := filepath.Join(t.TempDir(), "backup.db")
	stdout, errOut, code := cli(t, "backup", "-o", out, "--data", data)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup while serving: exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "records") || !strings.Contains(stdout, "blob files (1 new)") {
		t.Errorf("backup output: %q", stdout)
	}

	// The copy opens as a store and holds records that agree with the live
	// log: same leaves, same root at the copy's size.
	restore := t.TempDir()
	copyTree(t, out, filepath.Join(restore, store.DBFile))
	copyTree(t, out+".blobs", filepath.Join(restore, store.BlobsDir))
	st, err := store.Open(restore, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the restored backup: %v", err)
	}
	defer st.Close()
	n, _ := st.Size()
	if n < 2 {
		t.Fatalf("backup holds %d records, want the exchange and more", n)
	}
	c1, err := st.Capture("1")
	if err != nil || c1.Request.BodySize != int64(len(big)) {
		t.Fatalf("capture 1 in the backup: %v %+v", err, c1)
	}
	if got := len(readBody(t, st, c1.Request.BodySHA256)); got != len(big) {
		t.Errorf("big body from the restored blobs: got %d bytes, want %d", got, len(big))
	}
	root, _ := st.TreeHash(n)
	st.Close()
	// And the whole copy verifies: every record, body and tree hash.
	if out, errOut, code := cli(t, "verify", "--data", restore, "--key", filepath.Join(data, "ca", "log.pub")); code != 0 {
		t.Errorf("verify the restored backup: exit %d\n%s%s", code, out, errOut)
	}

	// The live store (serve still holds it) has the same root at that size:
	// checked offline once serve is done, through a second backup.
	out2 := filepath.Join(t.TempDir(), "again.db")
	if _, errOut, code := cli(t, "backup", "-o", out2, "--data", data, "--no-blobs"); code != 0 {
		t.Fatalf("second backup: %s", errOut)
	}
	live, err := store.Open(data, store.Options{ReadOnly: true, DBPath: out2})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if h, err := live.TreeHash(n); err != nil || h != root {
		t.Errorf("root at size %d: the live log and the backup differ (%v)", n, err)
	}
	if _, err := os.Stat(out2 + ".blobs"); !os.IsNotExist(err) {
		t.Errorf("--no-blobs: got a blobs dir")
	}
}

func TestCLI_Backup_Usage(t *testing.T) {
	if _, errOut, code := cli(t, "backup", "--data", t.TempDir()); code != 2 || !strings.Contains(errOut, "-o FILE") {
		t.Errorf("backup without -o: exit %d %q, want 2", code, errOut)
	}
	if _, errOut, code := cli(t, "backup", "-o", filepath.Join(t.TempDir(), "x"), "--data", t.TempDir()); code != 2 || !strings.Contains(errOut, "no Telltale store") {
		t.Errorf("backup of no store: exit %d %q, want 2", code, errOut)
	}
}

func TestCLI_Compact_OfflineAndRefusedWhileServing(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	for i := range 30 {
		post(t, c, "https://las.cloud.com/activate", fmt.Sprint(i), strings.Repeat(fmt.Sprint(i), 3000))
	}
	waitComplete(t, 30, "--data", data)
	_, errOut, code := cli(t, "compact", "--data", data)
	if code != 1 || !strings.Contains(errOut, "running `telltale serve` (pid") || !strings.Contains(errOut, "stop it first") {
		t.Errorf("compact while serving: exit %d %q, want 1 and a clear message", code, errOut)
	}
	stop()
	before := listJSON(t, "--data", data)
	out, errOut, code := cli(t, "compact", "--data", data)
	if code != 0 || !strings.Contains(out, "root hash unchanged") {
		t.Fatalf("compact: exit %d %q %q", code, out, errOut)
	}
	after := listJSON(t, "--data", data)
	if len(after) != len(before) || after[len(after)-1] != before[len(before)-1] {
		t.Errorf("captures after compact differ: %d vs %d", len(after), len(before))
	}
	if matches, _ := filepath.Glob(filepath.Join(data, "*.compact")); len(matches) != 0 {
		t.Errorf("left behind: %v", matches)
	}
}

func readBody(t *testing.T, st *store.Store, key string) []byte {
	t.Helper()
	rc, _, err := st.OpenBody(key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// copyTree copies a file or a directory tree.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		return copyFile(p, filepath.Join(to, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
}
