package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// crashDirEnv tells a re-executed test binary to be the appending child.
const crashDirEnv = "TELLTALE_STORE_CRASH_DIR"

// crashBody is the body of the i-th record: small or, every fifth, a blob.
func crashBody(i int) []byte {
	if i%5 == 0 {
		return pattern(300<<10, byte(i))
	}
	return pattern(100+i%1000, byte(i))
}

// TestStore_Append_SurvivesKill kills a process that is appending and
// checks that every record whose Append had returned is there, with its
// body, and that the store opens cleanly and carries on.
func TestStore_Append_SurvivesKill(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := newTestDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestStore_Append_SurvivesKill$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) // if we fail early
	acked := map[uint64]int{}
	lines := bufio.NewScanner(out)
	for len(acked) < 500 && lines.Scan() {
		var seq uint64
		var i int
		if _, err := fmt.Sscanf(lines.Text(), "acked %d %d", &seq, &i); err == nil {
			acked[seq] = i
		}
	}
	cmd.Process.Kill() // SIGKILL, mid-commit as likely as not
	cmd.Wait()
	if len(acked) < 500 {
		t.Fatalf("child acknowledged %d appends before it stopped, want 500", len(acked))
	}
	checkAcked(t, mustOpen(t, dir, Options{}), acked)
}

func checkAcked(t *testing.T, s *Store, acked map[uint64]int) {
	t.Helper()
	for seq, i := range acked {
		r, err := s.Record(seq)
		if err != nil {
			t.Fatalf("acknowledged record %d: %v", seq, err)
		}
		if got, want := r.Head.URL, fmt.Sprint("https://example.com/", i); got != want {
			t.Errorf("record %d URL: got %s, want %s", seq, got, want)
		}
		if got := mustRead(t, s, r.Body.SHA256); !bytes.Equal(got, crashBody(i)) {
			t.Errorf("record %d body: got %d bytes, want %d", seq, len(got), len(crashBody(i)))
		}
	}
	n, _ := s.Size()
	if seq := mustAppend(t, s, request("example.com", "/after"), nil); seq != n+1 {
		t.Errorf("Append after the crash: got Seq %d, want %d", seq, n+1)
	}
	t.Logf("%d acknowledged appends, %d records survived", len(acked), n)
}

// crashChild appends from 8 goroutines until killed, printing each Seq
// after Append returns it.
func crashChild(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 1e6; i += 8 { // bounded, in case nobody kills us
				b := s.NewBody(0)
				b.Write(crashBody(i))
				seq, err := s.Append(context.Background(), request("example.com", fmt.Sprint("/", i)), b)
				b.Close()
				if err != nil {
					return
				}
				mu.Lock()
				os.Stdout.WriteString(strings.Join([]string{"acked", strconv.FormatUint(seq, 10), strconv.Itoa(i)}, " ") + "\n")
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
