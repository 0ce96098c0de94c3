package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
)

// serveLogged runs serve with its log captured; stop shuts it down and
// returns the log lines.
func serveLogged(t *testing.T, cfg string) (addr string, stop func() []string) {
	t.Helper()
	logs := &lockedBuffer{}
	addr, stopServe := serveTo(t, logs, "-c", cfg)
	return addr, func() []string {
		stopServe()
		return strings.Split(strings.TrimSpace(logs.String()), "\n")
	}
}

// lockedBuffer is a bytes.Buffer that serve's goroutines may write at once.
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
	return l.b.String()
}

// loggedCheckpoints returns the notes of the "signed checkpoint" log lines.
func loggedCheckpoints(t *testing.T, lines []string) []string {
	var notes []string
	for _, l := range lines {
		var e struct {
			Level, Message, Note string
			TreeSize             uint64 `json:"tree_size"`
		}
		if json.Unmarshal([]byte(l), &e) == nil && e.Message == "evidence: signed checkpoint" {
			if e.Level != "info" || !strings.Contains(e.Note, "\n— telltale/") {
				t.Errorf("checkpoint log line: %s", l)
			}
			notes = append(notes, e.Note)
		}
	}
	return notes
}

// TestCLI_Checkpoint_SignedLoggedAndConsistentAcrossRestarts: serve signs
// at shutdown, after the last exchange, and logs the checkpoint in full;
// `checkpoint` prints it; a second run adds a checkpoint consistent with
// the first.
func TestCLI_Checkpoint_SignedLoggedAndConsistentAcrossRestarts(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "evidence:\n  checkpoint_interval: 1h\n")
	os.WriteFile(cfg, bytes.Replace(mustRead(t, cfg), []byte("level: warn"), []byte("level: info"), 1), 0o644)

	addr, stop := serveLogged(t, cfg)
	if _, errOut, code := cli(t, "checkpoint", "--data", data); code != 1 || !strings.Contains(errOut, "empty") {
		t.Errorf("checkpoint of an empty log: exit %d %q, want 1 saying it is empty", code, errOut)
	}
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/a", "a", `{"n":1}`)
	waitComplete(t, 1, "--data", data)
	notes := loggedCheckpoints(t, stop())
	if len(notes) != 1 || !strings.Contains(notes[0], "\n3\n") {
		t.Fatalf("logged checkpoints: %q, want the shutdown one of tree size 3 (an exchange, its index record)", notes)
	}
	out, errOut, code := cli(t, "checkpoint", "--data", data)
	if code != 0 || out != notes[0] {
		t.Errorf("checkpoint after stop: exit %d %q %s, want the logged one", code, out, errOut)
	}

	addr, stop = serveLogged(t, cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/b", "b", `{"n":2}`)
	waitComplete(t, 2, "--data", data)
	if notes := loggedCheckpoints(t, stop()); len(notes) != 1 || !strings.Contains(notes[0], "\n6\n") {
		t.Errorf("second run: logged %q, want one checkpoint of tree size 6 (two exchanges, two index records)", notes)
	}
	out, errOut, code = cli(t, "verify", "--data", data)
	if code != 0 || !strings.Contains(out, "; 2 checkpoints consistent, the latest covers 6 records") {
		t.Errorf("verify after two runs: exit %d %q %s", code, out, errOut)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
