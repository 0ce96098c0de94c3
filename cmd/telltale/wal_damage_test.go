package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// killedWithDamage runs serve in a child, kills it with SIGKILL in the
// middle of a burst of forwarded requests, and returns the data dir with
// the IDs of the requests the upstream received: each was acknowledged
// by the store before it was forwarded. With early, the database file is
// put back as it was before the burst, so that every capture is in the
// write-ahead log only: the state an indexer that never committed (a full
// disk) leaves, and the one where damage to the log costs the most.
func killedWithDamage(t *testing.T, early bool) (cfg, data string, received []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	v := newVendor(t)
	cfg, data = writeConfig(t, v, "")
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := os.ReadFile(filepath.Join(data, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	child, addr := startChildServe(t, cfg)
	c := proxyClient(t, addr, data)
	c.Timeout = 5 * time.Second
	burstAndKill(t, child, c, v, 16, 200)
	if early {
		if err := os.WriteFile(filepath.Join(data, store.DBFile), db, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, data, v.received()
}

// onlyWALSegment is the one segment the killed serve left.
func onlyWALSegment(t *testing.T, data string) string {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(data, store.WALDir, "*.wal"))
	if len(segs) != 1 {
		t.Fatalf("WAL segments after the kill: got %v, want one", segs)
	}
	return segs[0]
}

// walFrames returns the offset of each frame in a segment (doc.go: a
// uint32 length, a uint32 checksum, the payload).
func walFrames(seg []byte) []int {
	var offs []int
	for off := 0; off+8 <= len(seg); {
		n := int(binary.BigEndian.Uint32(seg[off:]))
		if n == 0 || off+8+n > len(seg) {
			break
		}
		offs = append(offs, off)
		off += 8 + n
	}
	return offs
}

// everyCommandRefuses runs the commands that read the store, and serve,
// and wants each to exit 1 naming want, with the WAL untouched.
func everyCommandRefuses(t *testing.T, cfg, data, want string) {
	t.Helper()
	before := walSnapshot(t, data)
	for _, args := range [][]string{
		{"list", "--data", data},
		{"list", "--data", data, "--kind", "exchange"},
		{"verify", "--data", data},
		{"show", "--data", data, "1"},
		{"endpoints", "--data", data},
		{"compact", "--data", data},
	} {
		out, errOut, code := cli(t, args...)
		if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "telltale recover") {
			t.Errorf("%s: exit %d, want 1 naming %q and telltale recover\nstdout: %.300s\nstderr: %s",
				strings.Join(args[:1], " "), code, want, out, errOut)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	serve := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	serve.Env = append(os.Environ(), "TELLTALE_CHILD_ARGS="+strings.Join([]string{"serve", "-c", cfg}, "\x1f"))
	var stderr bytes.Buffer
	serve.Stderr = &stderr
	err := serve.Run()
	if code := serve.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("serve: exit %d (%v), want 1 naming %q\n%s", code, err, want, stderr.String())
	}
	if after := walSnapshot(t, data); after != before {
		t.Errorf("the WAL changed under the refused commands:\nbefore %s\nafter  %s", before, after)
	}
}

// walSnapshot names every file in DATA/wal with the hash of its bytes.
func walSnapshot(t *testing.T, data string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, store.WALDir, "*"))
	var b strings.Builder
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		fmt.Fprintf(&b, "%s:%x ", filepath.Base(f), sha256.Sum256(content))
	}
	return b.String()
}

// accounted opens the store and returns how many received requests have
// no request record, and the lost records, with their errors.
func accounted(t *testing.T, data string, received []string) (missing int, lost []string) {
	t.Helper()
	st, err := store.Open(data, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("store after recover: %v", err)
	}
	defer st.Close()
	captured := map[string]bool{}
	err = st.Records(1, func(r *store.Record) error {
		switch r.Kind {
		case store.KindRequest:
			for _, h := range r.Head.Headers {
				if h.Name == "X-Req-Id" {
					captured[h.Value] = true
				}
			}
		case store.KindLost:
			lost = append(lost, r.Error)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range received {
		if !captured[id] {
			missing++
		}
	}
	return missing, lost
}

// recoverAndVerify runs recover and verify and wants the loss reported by
// both.
func recoverAndVerify(t *testing.T, data, want string) {
	t.Helper()
	out, errOut, code := cli(t, "recover", "--data", data)
	if code != 0 || !strings.Contains(out, "lost") || !strings.Contains(out, want) {
		t.Fatalf("recover: exit %d, want 0 listing what was lost at %q\n%s%s", code, want, out, errOut)
	}
	if kept, _ := filepath.Glob(filepath.Join(data, store.WALDir, store.DamagedDir, "*", "*")); len(kept) == 0 {
		t.Errorf("recover kept nothing in wal/%s", store.DamagedDir)
	}
	out, errOut, code = cli(t, "verify", "--data", data)
	if code != 0 || !strings.Contains(errOut, "lost from the write-ahead log") || !strings.Contains(errOut, want) {
		t.Errorf("verify after recover: exit %d, want 0 with a warning naming the lost records at %q\n%s%s", code, want, out, errOut)
	}
	if out, errOut, code := cli(t, "list", "--data", data, "--kind", "lost", "--json"); code != 0 || !strings.Contains(out, `"kind": "lost"`) {
		t.Errorf("list --kind lost: exit %d, want the lost records\n%s%s", code, out, errOut)
	}
}

// TestWAL_FlippedByteMidSegment_NothingSucceedsUntilRecover: one flipped
// byte in the middle of the log cost half the captures, silently (list,
// verify and serve exited 0, and the first of them deleted the segment).
func TestWAL_FlippedByteMidSegment_NothingSucceedsUntilRecover(t *testing.T) {
	cfg, data, received := killedWithDamage(t, true)
	segPath := onlyWALSegment(t, data)
	seg, err := os.ReadFile(segPath)
	if err != nil {
		t.Fatal(err)
	}
	frames := walFrames(seg)
	if len(frames) < 200 {
		t.Fatalf("frames in the segment: got %d, want the burst's (over 200)", len(frames))
	}
	mid := frames[len(frames)/2]
	seg[mid+8+20] ^= 0x20 // inside the payload of the middle frame
	if err := os.WriteFile(segPath, seg, 0o600); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s/%s at byte %d", store.WALDir, filepath.Base(segPath), mid)

	everyCommandRefuses(t, cfg, data, want)
	recoverAndVerify(t, data, want)

	missing, lost := accounted(t, data, received)
	if len(lost) != 1 {
		t.Errorf("lost records: got %d, want 1 (one flipped byte, one frame)", len(lost))
	}
	if missing > len(lost) {
		t.Errorf("%d received requests have no capture, and only %d records are logged as lost", missing, len(lost))
	}
	t.Logf("%d frames, %d requests forwarded: %d without a capture, %d records logged as lost", len(frames), len(received), missing, len(lost))
}

// TestWAL_DeletedSegment_NothingSucceedsUntilRecover: the kill -9 data
// dir as it is, its one segment deleted.
func TestWAL_DeletedSegment_NothingSucceedsUntilRecover(t *testing.T) {
	cfg, data, received := killedWithDamage(t, false)
	segPath := onlyWALSegment(t, data)
	if err := os.Remove(segPath); err != nil {
		t.Fatal(err)
	}
	want := store.WALDir + "/" + filepath.Base(segPath)

	everyCommandRefuses(t, cfg, data, want)
	recoverAndVerify(t, data, want)

	missing, lost := accounted(t, data, received)
	if len(lost) == 0 {
		t.Fatal("no record logged as lost")
	}
	// The records acknowledged since the indexer's last commit are in
	// no file: how many is unknown, and the last lost record says so.
	if missing > len(lost) && !strings.Contains(lost[len(lost)-1], "unknown") {
		t.Errorf("%d received requests have no capture, %d records are logged as lost, and none says more are", missing, len(lost))
	}
	t.Logf("%d requests forwarded: %d without a capture, %d records logged as lost", len(received), missing, len(lost))
}
