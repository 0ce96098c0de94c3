package certs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/wine"
)

func TestRotate_RetiresOldCA(t *testing.T) {
	skipOnWindows(t)
	clock := newClock()
	dir := wine.TempDir(t)
	old := MustOpen(t, dir, Options{Hosts: testHosts, Now: clock.Now})
	oldKey, err := os.ReadFile(old.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(24 * time.Hour)
	rotated, err := Rotate(dir, Options{Hosts: append(testHosts, "new.example"), Now: clock.Now})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if rotated.Certificate().SerialNumber.Cmp(old.Certificate().SerialNumber) == 0 {
		t.Errorf("rotated serial equals the old one")
	}
	if !rotated.Permits("new.example") {
		t.Errorf("rotated CA does not permit the new host")
	}

	retired := filepath.Join(dir, "retired", "20261128T101500Z")
	gotCert, err := os.ReadFile(filepath.Join(retired, "ca.pem"))
	if err != nil {
		t.Fatalf("retired ca.pem: %v", err)
	}
	if !bytes.Equal(gotCert, old.CertPEM()) {
		t.Errorf("retired ca.pem differs from the old CA")
	}
	gotKey, err := os.ReadFile(filepath.Join(retired, "ca-key.pem"))
	if err != nil {
		t.Fatalf("retired ca-key.pem: %v", err)
	}
	if !bytes.Equal(gotKey, oldKey) {
		t.Errorf("retired ca-key.pem differs from the old key")
	}
	for path, want := range map[string]os.FileMode{
		retired:                              0o700,
		filepath.Join(retired, "ca-key.pem"): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %04o, want %04o", path, got, want)
		}
	}

	reopened, created, err := Open(dir, Options{Now: clock.Now})
	if err != nil || created {
		t.Fatalf("Open after Rotate: created=%v err=%v, want the rotated CA", created, err)
	}
	if reopened.Certificate().SerialNumber.Cmp(rotated.Certificate().SerialNumber) != 0 {
		t.Errorf("Open after Rotate loaded serial %x, want %x",
			reopened.Certificate().SerialNumber, rotated.Certificate().SerialNumber)
	}

	// A second rotation in the same second must not clobber the first.
	if _, err := Rotate(dir, Options{Hosts: testHosts, Now: clock.Now}); err != nil {
		t.Fatalf("second Rotate: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "retired", "20261128T101500Z-2", "ca.pem")); err != nil {
		t.Errorf("second retired CA: %v", err)
	}
}

func TestRotate_InvalidHostsKeepCurrentCA(t *testing.T) {
	dir := wine.TempDir(t)
	old := MustOpen(t, dir, Options{Hosts: testHosts})
	if _, err := Rotate(dir, Options{Hosts: []string{"a.*.b"}}); !errors.Is(err, ErrInvalidPattern) {
		t.Fatalf("Rotate error = %v, want %v", err, ErrInvalidPattern)
	}
	again := MustOpen(t, dir, Options{Hosts: testHosts})
	if again.Certificate().SerialNumber.Cmp(old.Certificate().SerialNumber) != 0 {
		t.Errorf("failed Rotate replaced the CA")
	}
	if _, err := os.Stat(filepath.Join(dir, "retired")); !os.IsNotExist(err) {
		t.Errorf("failed Rotate created retired/: %v", err)
	}
}
