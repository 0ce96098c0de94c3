package evidence

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/testbed"
)

// outsider runs evidence/outsider/verify_bundle.py, written from
// README.txt alone, on bundle b and returns its output and whether it
// passed.
func outsider(t *testing.T, b []byte, args ...string) (string, bool) {
	t.Helper()
	py := testtool.Need(t, "python3")[0]
	if exec.Command(py, "-c", "import cryptography").Run() != nil {
		testtool.Missing(t, "python3's cryptography module (.ci/run installs python3-cryptography)")
	}
	path := filepath.Join(t.TempDir(), "b.zip")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, append([]string{filepath.Join("outsider", "verify_bundle.py"), path}, args...)...).CombinedOutput()
	return string(out), err == nil && strings.Contains(string(out), "PASS ")
}

// TestOutsider_StrictZip: the outsider verifier refuses the doctored
// containers VerifyBundle refuses (F1), and takes the export itself.
func TestOutsider_StrictZip(t *testing.T) {
	b, k := strictBundle(t)
	if out, ok := outsider(t, b, "--key", k.vkey); !ok {
		t.Fatalf("the export itself:\n%s", out)
	}
	le := binary.LittleEndian
	end := eocd(t, b)
	commented := append(bytes.Clone(b), "see also hidden.txt"...)
	le.PutUint16(commented[end+20:], uint16(len("see also hidden.txt")))
	renamed := bytes.Clone(b)
	renamed[30] ^= 0x20 // the first local header's name
	for name, z := range map[string][]byte{
		"data before":     append([]byte("MZ\x90\x00 not a zip stub, 32 bytes.."), b...),
		"a comment":       commented,
		"a renamed entry": renamed,
	} {
		if out, ok := outsider(t, z, "--key", k.vkey); ok || !strings.Contains(out, "FAIL ") {
			t.Errorf("%s: the outsider verifier passes it:\n%s", name, out)
		}
	}
}

// TestOutsider_LateTimestampFails: the outsider verifier compares each
// timestamp's genTime with its checkpoint's time (F11).
func TestOutsider_LateTimestampFails(t *testing.T) {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	claimed := day.Add(3*time.Hour + 5*time.Minute)
	clock := &stepClock{now: claimed.Add(18 * time.Minute)}
	tsa, err := testbed.NewTSA(testbed.TSAOptions{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tsa.Start()
	t.Cleanup(func() { tsa.Close() })
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/lag")
	for i := range 3 { // one after the other: fill's goroutines may log them out of time order
		exchange(t, st, i)
	}
	if _, _, err := SignTree(st, k.signer, claimed); err != nil {
		t.Fatal(err)
	}
	if n, err := StampCheckpoints(context.Background(), st, tsaClient(t, tsa, true), 0); n != 1 || err != nil {
		t.Fatalf("StampCheckpoints: %d, %v; want 1", n, err)
	}
	b := export(t, st, k, Selection{})
	if out, ok := outsider(t, b, "--key", k.vkey); ok || !strings.Contains(out, "more than --max-lag 600 s") {
		t.Errorf("stamped 18 minutes late: want FAIL past --max-lag:\n%s", out)
	}
	if out, ok := outsider(t, b, "--key", k.vkey, "--max-lag", "1200"); !ok {
		t.Errorf("stamped 18 minutes late, --max-lag 1200: want PASS:\n%s", out)
	}
}
