package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// demoRun drives days of simulated traffic through a real Server and
// returns the server (still running until the test ends) and the LAS.
func demoRun(t *testing.T, days int) (*server.Server, *testbed.LAS, testbed.Report) {
	t.Helper()
	las, err := testbed.NewLAS(testbed.LASOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	las.Start()
	t.Cleanup(func() { las.Close() })
	cfg, err := demoConfig(filepath.Join(t.TempDir(), "demo"), las)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		s.Close()
	})
	rep, err := demoDrive(context.Background(), s, demoOptions{days: days, seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s, las, rep
}

// completeCaptures waits for every exchange's response record.
func completeCaptures(t *testing.T, st *store.Store, n int) []store.Capture {
	t.Helper()
	for i := 0; ; i++ {
		caps, err := st.List(store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, c := range caps {
			if c.Complete {
				done++
			}
		}
		if done == n || i == 500 {
			return caps
		}
		sleepMS(10)
	}
}

func TestDemo_ThirtyDays_ContractWithSimulator(t *testing.T) {
	s, las, rep := demoRun(t, 30)
	want := testbed.Expected(30)
	caps := completeCaptures(t, s.Store, want)
	if len(caps) != want || len(rep.Sent) != want {
		t.Fatalf("got %d captures and %d sent, want %d", len(caps), len(rep.Sent), want)
	}
	got := las.Received()
	if len(got) != want {
		t.Fatalf("simulator received %d, want %d", len(got), want)
	}
	// The simulator saw byte for byte what Telltale recorded, in order.
	for i, ex := range got {
		c, err := s.Store.Capture(caps[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.URL != ex.URL || c.Method != ex.Method || c.Status != ex.Status || c.Error != "" {
			t.Errorf("capture %s: got %s %s %d %q, simulator saw %s %s %d", c.ID, c.Method, c.URL, c.Status, c.Error, ex.Method, ex.URL, ex.Status)
			continue
		}
		if b := storedBytes(t, s.Store, c.Request); !bytes.Equal(b, ex.Body) {
			t.Errorf("capture %s: stored request body differs from what the simulator received (%d vs %d bytes)", c.ID, len(b), len(ex.Body))
		}
		if b := storedBytes(t, s.Store, c.Response); !bytes.Equal(b, ex.Response) {
			t.Errorf("capture %s: stored response body differs from what the simulator sent (%d vs %d bytes)", c.ID, len(b), len(ex.Response))
		}
		for _, h := range c.Request.Headers {
			if !strings.EqualFold(h.Name, "Host") && ex.Get(h.Name) != h.Value {
				t.Errorf("capture %s: header %s: recorded %q, simulator saw %q", c.ID, h.Name, h.Value, ex.Get(h.Name))
			}
		}
	}
	// The compliance uploads carry the documented LicenseServerCompliance 2.0 data elements.
	n := 0
	for _, c := range caps {
		if !strings.Contains(c.URL, "LicenseServerCompliance") {
			continue
		}
		n++
		full, _ := s.Store.Capture(c.ID)
		zr, err := gzip.NewReader(bytes.NewReader(storedBytes(t, s.Store, full.Request)))
		if err != nil {
			t.Fatalf("compliance upload %s is not gzip: %v", c.ID, err)
		}
		plain, _ := io.ReadAll(zr)
		if !json.Valid(plain) {
			t.Fatalf("compliance upload %s is not JSON", c.ID)
		}
		for _, el := range []string{"UTCDate", "ProductUTCDeployDate", `"UI"`, "HardwareId", "FQDN", "SGPMaxDays", "CAG_AAC_CCU", "CountUsedMax", "CCUDevices", "LicenseServerCompliance"} {
			if !bytes.Contains(plain, []byte(el)) {
				t.Errorf("compliance upload %s lacks data element %s", c.ID, el)
			}
		}
	}
	if n != 30 {
		t.Errorf("got %d compliance uploads, want 30", n)
	}
}

func storedBytes(t *testing.T, st *store.Store, m *store.Message) []byte {
	t.Helper()
	if m == nil || m.BodySize == 0 {
		return nil
	}
	rc, _, err := st.OpenBody(store.BodyRef{SHA256: m.BodySHA256, Truncated: m.Truncated, StoredSHA256: m.StoredSHA256}.StoredKey())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func TestDemo_Command_PrintsGuideAndExits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	out, errOut, code := cli(t, "demo", "--days", "3", "--data", dir, "--exit")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	vkey := filepath.Join(dir, "ca", "log.pub")
	tsaCA := filepath.Join(dir, demoTSAFile)
	for _, want := range []string{"Drove 3 simulated days", "list --data " + dir, "export -o demo-evidence.zip",
		"verify demo-evidence.zip --key " + vkey + " --tsa-ca " + tsaCA, "report -o demo-report.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" || !strings.HasSuffix(out, "Stopped (--exit); the data stays in "+dir+".\n") {
		t.Errorf("demo --exit: want the guide last and nothing on stderr; stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	// The printed export and verify work as printed, the key pinned.
	bundle := filepath.Join(t.TempDir(), "demo-evidence.zip")
	if _, errOut, code := cli(t, "export", "-o", bundle, "--data", dir); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	if out, errOut, code := cli(t, "verify", bundle, "--key", vkey); code != 0 {
		t.Errorf("verify --key %s: exit %d: %s%s", vkey, code, out, errOut)
	}
	if items := listJSON(t, "--data", dir); len(items) != testbed.Expected(3) {
		t.Errorf("after the demo: %d captures, want %d", len(items), testbed.Expected(3))
	}
	// A bundle of the demo carries the simulated TSA's timestamps, which
	// verify with the root the demo wrote; so does a second run's.
	for run := 1; run <= 2; run++ {
		if run == 2 {
			if _, errOut, code := cli(t, "demo", "--days", "1", "--data", dir, "--exit"); code != 0 {
				t.Fatalf("demo again: exit %d: %s", code, errOut)
			}
		}
		bundle := filepath.Join(t.TempDir(), "demo-evidence.zip")
		if _, errOut, code := cli(t, "export", "-o", bundle, "--redact", "--data", dir); code != 0 {
			t.Fatalf("export: exit %d: %s", code, errOut)
		}
		out, errOut, code := cli(t, "verify", bundle, "--key", vkey, "--tsa-ca", tsaCA)
		if code != 0 || !strings.Contains(out, "RFC 3161 timestamps") || !strings.Contains(out, "simulated TSA") || !strings.Contains(out, "TSA trusted (--tsa-ca)") {
			t.Errorf("run %d: verify the demo's bundle --tsa-ca: exit %d\n%s%s", run, code, out, errOut)
		}
		if out, errOut, code := cli(t, "verify", "--data", dir, "--tsa-ca", tsaCA); code != 0 || !strings.Contains(out, "TSA trusted") {
			t.Errorf("run %d: verify the demo's store --tsa-ca: exit %d\n%s%s", run, code, out, errOut)
		}
	}
	if _, errOut, code := cli(t, "demo", "--days", "0"); code != 2 || !strings.Contains(errOut, "--days") {
		t.Errorf("demo --days 0: exit %d %q, want 2", code, errOut)
	}
}

// TestDemo_GuideLastAndDoctorKnowsTheDemo: while the demo serves, its log
// goes to DATA/demo.log (the terminal gets the guide, last), and doctor
// --data DIR checks the demo's own ports and simulated upstream.
func TestDemo_GuideLastAndDoctorKnowsTheDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--days", "20", "--data", dir}, pw, stderr)
		pw.Close()
	}()
	var out strings.Builder
	buf := make([]byte, 4096)
	for !strings.HasSuffix(out.String(), "Serving until Ctrl-C.\n") {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("demo stopped before serving: %v\n%s\n%s", err, out.String(), stderr.String())
		}
		out.Write(buf[:n])
	}
	go io.Copy(io.Discard, pr)
	lines, code := doctorLines(t, "--data", dir)
	wantLine(t, lines, "ok", "config", regexp.QuoteMeta(filepath.Join(dir, "demo.yaml"))+` \(written by .telltale demo.\)`)
	wantLine(t, lines, "ok", "ports", "held by the running telltale serve")
	wantLine(t, lines, "ok", "upstream", "las.cloud.com via upstream.resolve 127.0.0.1:.*simulated Citrix cloud CA")
	wantLine(t, lines, "ok", "store", "held by the running telltale serve")
	if code != 0 {
		t.Errorf("doctor on the running demo: exit %d:\n%s", code, strings.Join(lines, "\n"))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("demo exit %d: %s", code, stderr.String())
	}
	if stderr.String() != "" {
		t.Errorf("demo wrote to the terminal's stderr: %s", stderr.String())
	}
	lines, _ = doctorLines(t, "--data", dir)
	wantLine(t, lines, "fail", "upstream", "the demo's simulated Citrix cloud is not running")
	b, err := os.ReadFile(filepath.Join(dir, "demo.log"))
	if err != nil || !strings.Contains(string(b), `"kind":"drift"`) {
		t.Errorf("demo.log: want the drift alerts in it: %v\n%s", err, b)
	}
}
