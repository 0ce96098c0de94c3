package evidence

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
)

// A bundle says which program sent each exchange: the capture view and
// the HAR entry carry the process from the signed meta, the HAR comment
// names it, both verifiers remake them, and a changed PID breaks the leaf.
func TestBundle_ProcessSaysWhichProgramSent(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/process")
	svc := &store.Process{PID: 2212, Name: "CitrixLicensingTelemetry.exe",
		Image:    `C:\Program Files (x86)\Citrix\Licensing\Telemetry\CitrixLicensingTelemetry.exe`,
		Services: []string{"CitrixTelemetryService"}, User: `NT AUTHORITY\NETWORK SERVICE`}
	req := request("las.cloud.com", "POST", "https://las.cloud.com/upload")
	req.Process = svc
	id := appendRecord(t, st, req, []byte(`{"n":1}`))
	appendRecord(t, st, response(id, 200), nil)
	lost := request("las.cloud.com", "GET", "https://las.cloud.com/ping")
	lost.Process = &store.Process{Unknown: "no process owns 127.0.0.1:50001 (it had closed)"}
	id2 := appendRecord(t, st, lost, nil)
	failed := response(id2, 0)
	failed.Head, failed.Error = nil, "upstream: connection refused"
	appendRecord(t, st, failed, nil)
	appendRecord(t, st, request("las.cloud.com", "GET", "https://las.cloud.com/remote"), nil)
	signTree(t, st, k)
	b := export(t, st, k, Selection{})
	if rep := verifyBundle(t, b, k.vkey); !rep.OK() {
		t.Fatalf("bundle with processes: %v", findingStrings(rep.Failures))
	}

	names, files := unzip(t, b)
	var har struct {
		Log struct {
			Entries []struct {
				Comment string         `json:"comment"`
				Process *store.Process `json:"_telltaleProcess"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(files[FileHAR], &har); err != nil || len(har.Log.Entries) != 3 {
		t.Fatalf("capture.har: %v, %d entries, want 3", err, len(har.Log.Entries))
	}
	want := []string{
		`sent by CitrixLicensingTelemetry.exe (pid 2212, service CitrixTelemetryService, user NT AUTHORITY\NETWORK SERVICE)`,
		"sent by unknown (no process owns 127.0.0.1:50001 (it had closed)); error: upstream: connection refused",
		"",
	}
	for i, e := range har.Log.Entries {
		if e.Comment != want[i] {
			t.Errorf("HAR entry %d comment: got %q, want %q", i, e.Comment, want[i])
		}
	}
	if !reflect.DeepEqual(har.Log.Entries[0].Process, svc) || har.Log.Entries[2].Process != nil {
		t.Errorf("HAR _telltaleProcess: got %+v and %+v, want the service's and none", har.Log.Entries[0].Process, har.Log.Entries[2].Process)
	}
	runOutsiderOn(t, b, k.vkey)

	// The process is in the meta the leaf commits to: another PID there
	// (and in the view and HAR made from it) no longer hashes to the leaf.
	for _, name := range []string{FileCaptures, FileHAR} {
		files[name] = bytes.ReplaceAll(files[name], []byte(`"pid":2212`), []byte(`"pid":2213`))
		files[name] = bytes.ReplaceAll(files[name], []byte(`\"pid\":2212`), []byte(`\"pid\":2213`))
	}
	rep := verifyBundle(t, resign(t, k, names, files), k.vkey)
	if rep.OK() || !strings.Contains(strings.Join(findingStrings(rep.Failures), "\n"), "meta") {
		t.Errorf("a changed PID: got %v, want a meta finding", findingStrings(rep.Failures))
	}
}

// runOutsiderOn runs evidence/outsider/verify_bundle.py, written from
// README.txt alone, on bundle b.
func runOutsiderOn(t *testing.T, b []byte, key string) {
	t.Helper()
	py := testtool.Need(t, "python3")[0]
	if exec.Command(py, "-c", "import cryptography").Run() != nil {
		testtool.Missing(t, "python3's cryptography module (.ci/run installs python3-cryptography)")
	}
	path := filepath.Join(t.TempDir(), "b.zip")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, filepath.Join("outsider", "verify_bundle.py"), path, "--key", key).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS ") {
		t.Fatalf("outsider verifier: %v\n%s", err, out)
	}
}
