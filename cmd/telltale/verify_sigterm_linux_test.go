//go:build linux

package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/evidence"
)

// TestCLI_Verify_SIGTERMStopsASlowBundle: verify of a bundle whose signed
// manifest lists gigabytes to hash stops at SIGTERM and says so. Linux:
// it finds the child's open files in /proc, and makes a sparse file.
func TestCLI_Verify_SIGTERMStopsASlowBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	bundle, vkey := slowBundle(t)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "TELLTALE_CHILD_ARGS="+strings.Join([]string{"verify", bundle, "--key", vkey}, "\x1f"))
	var stdout, stderr bytes.Buffer
	child.Stdout, child.Stderr = &stdout, &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	waitOpen(t, child.Process.Pid, bundle)
	time.Sleep(100 * time.Millisecond) // into the hashing
	child.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		child.Process.Kill()
		<-done
		t.Fatal("verify went on for 30s after SIGTERM")
	}
	if code := child.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "verification interrupted: the bundle was not fully checked") {
		t.Errorf("after SIGTERM: exit %d, %q %q; want 1, interrupted", code, stdout.String(), stderr.String())
	}
}

// waitOpen waits until a process has a file open: then it is past its
// start, signal handling set up.
func waitOpen(t *testing.T, pid int, path string) {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			if target, _ := os.Readlink(filepath.Join(dir, fd.Name())); target == path {
				return
			}
		}
	}
	t.Fatalf("process %d did not open %s", pid, path)
}

// slowBundle writes a bundle whose signed manifest lists two files of
// 4 GiB, stored uncompressed as holes in a sparse file: costly to hash,
// cheap to make.
func slowBundle(t *testing.T) (path, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "telltale/slow")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	const size = 4<<30 - 1
	m := evidence.Manifest{Format: evidence.BundleFormat, Tool: "test",
		Log:      evidence.LogKey{Origin: "telltale/slow", Key: vkey, Fingerprint: evidence.Fingerprint(vkey)},
		Withheld: []evidence.Withheld{}}
	for _, c := range "ab" {
		m.Files = append(m.Files, evidence.FileInfo{Name: evidence.DirBodies + strings.Repeat(string(c), 64),
			SHA256: strings.Repeat(string(c), 64), Size: size})
	}
	mb, _ := json.MarshalIndent(&m, "", "  ")
	h := sha256.Sum256(mb)
	sum := hex.EncodeToString(h[:])
	sig, err := note.Sign(&note.Note{Text: "telltale bundle manifest\n" + sum + "  manifest.json\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "slow.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sf := &sparseFile{f: f}
	zw := zip.NewWriter(sf)
	for _, fi := range m.Files {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fi.Name, Method: zip.Store, CompressedSize64: size, UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		zw.Flush()
		sf.holes = true
		zeros := make([]byte, 64<<20)
		for left := int64(size); left > 0; left -= int64(len(zeros)) {
			w.Write(zeros[:min(left, int64(len(zeros)))])
		}
		sf.holes = false
	}
	for name, b := range map[string][]byte{evidence.FileManifest: mb, evidence.FileManifestSig: sig} {
		w, _ := zw.Create(name)
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path, vkey
}

// sparseFile skips over what is written while holes is set, leaving a
// hole that reads as zeros.
type sparseFile struct {
	f     *os.File
	holes bool
}

func (s *sparseFile) Write(p []byte) (int, error) {
	if s.holes {
		_, err := s.f.Seek(int64(len(p)), io.SeekCurrent)
		return len(p), err
	}
	return s.f.Write(p)
}
