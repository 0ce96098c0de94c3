package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/telltale/telltale/internal/versitygw"
)

// TestProgress_OnATerminalNotOnAPipe runs export, verify (of a bundle
// and of a data dir), backup, compact, archive and estate as child processes,
// once with stderr to a pipe, where not a byte of progress may appear,
// and once with stderr on a pseudo-terminal, where each shows its bar.
func TestProgress_OnATerminalNotOnAPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	versitygw.Env(t, "TT_S3_ACCESS", "TT_S3_SECRET")
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	for i := range 20 {
		post(t, c, "https://las.cloud.com/upload", fmt.Sprint(i), fmt.Sprintf(`{"upload":%d,"pad":"%0300d"}`, i, i))
	}
	waitComplete(t, 20, "--data", data)
	stop()
	// The archive state is in the store: the push to a pipe is the first
	// of a copy of the data dir, under a prefix of its own.
	conf, _ := os.ReadFile(cfg)
	archived := filepath.Join(t.TempDir(), "archive.yaml")
	os.WriteFile(archived, append(conf, archiveConfig(srv, "evidence", "tty")...), 0o644)
	piped := filepath.Join(t.TempDir(), "data")
	copyTree(t, data, piped)
	key, _ := os.ReadFile(filepath.Join(data, "ca", "log.pub"))
	estateYAML := filepath.Join(t.TempDir(), "estate.yaml")
	os.WriteFile(estateYAML, []byte(fmt.Sprintf(`archive:
  endpoint: %s
  bucket: evidence
  access_key_env: TT_S3_ACCESS
  secret_key_env: TT_S3_SECRET
logs:
  - {name: Frankfurt, key: %q, prefix: tty}
`, srv.Endpoint, strings.TrimSpace(string(key)))), 0o644)

	dir := t.TempDir()
	bundle := filepath.Join(dir, "b.zip")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"export", "--data", data, "-o", bundle}, "export: writing b.zip"},
		{[]string{"verify", "--key", filepath.Join(data, "ca", "log.pub"), bundle}, "verify: reading b.zip"},
		{[]string{"verify", "--data", data}, "verify: every record, hash and checkpoint of a log of"},
		{[]string{"backup", "--data", data, "-o", filepath.Join(dir, "copy.db")}, "backup: copying telltale.db"},
		{[]string{"compact", "--data", data}, "compact: copying the pages in use"},
		{[]string{"archive", "--once", "-c", archived}, "archive: pushing records from 0"},
		{[]string{"estate", "-c", estateYAML}, "estate: log 1 of 1 (Frankfurt), leaves verified"}, // the log the terminal's archive pushed
	}
	for _, s := range steps {
		args := s.args
		if s.args[0] == "archive" {
			args = append(args, "--data", piped)
			setPrefix(t, archived, "pipe")
		}
		if out := childOnPipe(t, args...); strings.ContainsAny(out, "\r\x1b") || strings.Contains(out, s.want) {
			t.Errorf("%s with stderr to a pipe: stderr %q, want no progress", s.args[0], out)
		}
		if s.args[0] == "archive" {
			setPrefix(t, archived, "tty")
		}
		if out := childOnPTY(t, s.args...); !strings.Contains(out, s.want) || !strings.Contains(out, "\r") {
			t.Errorf("%s on a terminal: stderr %q, want %q", s.args[0], out, s.want)
		}
	}
}

// setPrefix changes the config's archive.prefix.
func setPrefix(t *testing.T, cfg, prefix string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`(?m)^  prefix: .*$`).ReplaceAllString(string(b), "  prefix: "+prefix)
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// child is the test binary acting as `telltale args...` (TestMain).
func child(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TELLTALE_CHILD_ARGS="+strings.Join(args, "\x1f"))
	return cmd
}

// childOnPipe runs the child with stderr to a pipe and returns it.
func childOnPipe(t *testing.T, args ...string) string {
	t.Helper()
	cmd := child(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%s%s", args, err, stdout.String(), stderr.String())
	}
	return stderr.String()
}

// childOnPTY runs the child with stderr on a new pseudo-terminal and
// returns what it wrote there.
func childOnPTY(t *testing.T, args ...string) string {
	t.Helper()
	out := childOnPTYRun(t, args...)
	if os.Getenv("TT_SHOW_PTY") != "" {
		t.Logf("%v on a terminal: %q", args, out)
	}
	return out
}

func childOnPTYRun(t *testing.T, args ...string) string {
	t.Helper()
	ptm, pts := openPTY(t)
	defer ptm.Close()
	cmd := child(args...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, pts
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close() // the child holds it; reads end with EIO once it exits
	var tty bytes.Buffer
	read := make(chan error, 1)
	go func() {
		_, err := io.Copy(&tty, ptm)
		read <- err
	}()
	err := cmd.Wait()
	if rerr := <-read; rerr != nil && !errors.Is(rerr, syscall.EIO) {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("%v: %v\n%s%s", args, err, stdout.String(), tty.String())
	}
	return tty.String()
}

// openPTY opens a pseudo-terminal pair (posix_openpt, unlockpt, ptsname).
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	if pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0); err != nil {
		t.Fatal(err)
	}
	return ptm, pts
}
