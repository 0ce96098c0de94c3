package server

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/inspect"
)

// TestUIExportOptions_Pseudonymise: the review UI's export pseudonymises
// with the data dir's key, made once (0600) and reused, so that
// pseudonyms are stable from one bundle to the next; the finder is the
// analysis's definition of an identity.
func TestUIExportOptions_Pseudonymise(t *testing.T) {
	dir := t.TempDir()
	o, err := uiExportOptions(evidence.Selection{Redact: true, Pseudonymise: true}, &configs.Config{DataDir: dir})
	if err != nil || o.Pseudonymise == nil {
		t.Fatalf("got %+v, %v; want a pseudonymiser", o.Pseudonymise, err)
	}
	path := filepath.Join(dir, "ca", PseudonymKeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := Pseudonymiser(dir)
	if err != nil || !bytes.Equal(again.Key, o.Pseudonymise.Key) || len(again.Key) != 32 {
		t.Errorf("second use: key %x, %v; want the same 32 bytes", again.Key, err)
	}
	found := o.Pseudonymise.Find([]inspect.Field{{Path: "$.users[0].upn", Type: inspect.KindString, Value: "anna@corp.example.com"},
		{Path: "$.version", Type: inspect.KindString, Value: "11.17.2.0"}})
	if len(found) != 1 || found[0].Value != "anna@corp.example.com" {
		t.Errorf("found %+v, want the UPN alone", found)
	}
	plain, _ := uiExportOptions(evidence.Selection{Redact: true}, &configs.Config{DataDir: dir})
	if plain.Pseudonymise != nil {
		t.Error("an export not asked to pseudonymise does")
	}
}
