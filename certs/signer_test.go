package certs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/internal/wine"
)

func signAndOpen(t *testing.T, signer note.Signer, vkey string) {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: "telltale evidence log\n42\nroot hash\n"}, signer)
	if err != nil {
		t.Fatalf("note.Sign: %v", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("note.NewVerifier(%q): %v", vkey, err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != signer.Name() {
		t.Errorf("verified sigs = %+v, want one by %q", n.Sigs, signer.Name())
	}
}

func TestOpenSigner_RoundTrip(t *testing.T) {
	dir := filepath.Join(wine.TempDir(t), "ca")
	signer, vkey, created, err := OpenSigner(dir, "telltale/host1")
	if err != nil {
		t.Fatalf("OpenSigner: %v", err)
	}
	if !created {
		t.Errorf("created = %v, want true", created)
	}
	if got, want := signer.Name(), "telltale/host1"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(pub)); got != vkey {
		t.Errorf("log.pub = %q, want %q", got, vkey)
	}
	key, err := os.ReadFile(filepath.Join(dir, "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(key), "PRIVATE+KEY+telltale/host1+") {
		t.Errorf("log.key does not hold a note signer key")
	}
	signAndOpen(t, signer, strings.TrimSpace(string(pub)))

	if runtime.GOOS != "windows" {
		for name, want := range map[string]os.FileMode{"log.key": 0o600, "log.pub": 0o644, ".": 0o700} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("mode of %s = %04o, want %04o", name, got, want)
			}
		}
	}
}

func TestOpenSigner_ReloadUsesStoredKey(t *testing.T) {
	dir := wine.TempDir(t)
	_, vkey, _, err := OpenSigner(dir, "telltale/host1")
	if err != nil {
		t.Fatal(err)
	}
	signer, vkey2, created, err := OpenSigner(dir, "telltale/renamed")
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if created {
		t.Errorf("created = %v, want false", created)
	}
	if vkey2 != vkey {
		t.Errorf("verifier key = %q, want %q", vkey2, vkey)
	}
	if got, want := signer.Name(), "telltale/host1"; got != want {
		t.Errorf("Name = %q, want %q (from the file)", got, want)
	}
	signAndOpen(t, signer, vkey)
}

func TestOpenSigner_RewritesMissingPub(t *testing.T) {
	dir := wine.TempDir(t)
	_, vkey, _, err := OpenSigner(dir, "telltale/host1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "log.pub")); err != nil {
		t.Fatal(err)
	}
	_, got, _, err := OpenSigner(dir, "telltale/host1")
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if got != vkey || strings.TrimSpace(string(pub)) != vkey {
		t.Errorf("derived verifier %q, log.pub %q, want %q", got, pub, vkey)
	}
}

func TestOpenSigner_RefusesMismatchedPub(t *testing.T) {
	dir, other := wine.TempDir(t), wine.TempDir(t)
	if _, _, _, err := OpenSigner(dir, "telltale/host1"); err != nil {
		t.Fatal(err)
	}
	_, otherKey, _, err := OpenSigner(other, "telltale/host1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log.pub"), []byte(otherKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := OpenSigner(dir, "telltale/host1"); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("OpenSigner with a foreign log.pub: got %v, want a mismatch error", err)
	}
}

func TestOpenSigner_RefusesPubWithoutKey(t *testing.T) {
	dir := wine.TempDir(t)
	if _, _, _, err := OpenSigner(dir, "telltale/host1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "log.key")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := OpenSigner(dir, "telltale/host1"); err == nil {
		t.Errorf("OpenSigner with only log.pub: got nil error, want one")
	}
}

func TestOpenSigner_RefusesWorldReadableKey(t *testing.T) {
	skipOnWindows(t)
	dir := wine.TempDir(t)
	if _, _, _, err := OpenSigner(dir, "telltale/host1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "log.key"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := OpenSigner(dir, "telltale/host1"); !errors.Is(err, ErrInsecureKey) {
		t.Errorf("OpenSigner error = %v, want %v", err, ErrInsecureKey)
	}
}

func TestOpenSigner_InvalidName(t *testing.T) {
	for _, name := range []string{"", "has space", "has+plus"} {
		if _, _, _, err := OpenSigner(wine.TempDir(t), name); err == nil {
			t.Errorf("OpenSigner(name=%q): got nil error, want one", name)
		}
	}
}
