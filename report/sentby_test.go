package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/telltale/telltale/store"
)

// Each endpoint says which programs on the proxy's host sent it, summed
// by program (not PID: a service restarts); a process name that is HTML
// is text on the page. Captures from other hosts add nothing.
func TestBuild_EndpointsSayWhichProgramSent(t *testing.T) {
	telemetry := func(pid int) *store.Process {
		return &store.Process{PID: pid, Name: "CitrixLicensingTelemetry.exe", Services: []string{"CitrixLicensingTelemetry"},
			User: `NT AUTHORITY\NETWORK SERVICE`}
	}
	caps := []store.Capture{
		capture("1", "2026-05-01T10:00:00Z", "las.cloud.com", "https://las.cloud.com/r"),
		capture("3", "2026-05-02T10:00:00Z", "las.cloud.com", "https://las.cloud.com/r"),
		capture("5", "2026-05-02T11:00:00Z", "las.cloud.com", "https://las.cloud.com/r"),
		capture("7", "2026-05-02T12:00:00Z", "las.cloud.com", "https://las.cloud.com/r"),
		capture("9", "2026-05-02T13:00:00Z", "cis.citrix.com", "https://cis.citrix.com/u"),
	}
	caps[0].Process, caps[1].Process = telemetry(2212), telemetry(4388)
	caps[2].Process = &store.Process{PID: 7, Name: hostile}
	r, err := Build(fakeSource{}, caps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"POST las.cloud.com /r":  "CitrixLicensingTelemetry.exe (service CitrixLicensingTelemetry) ×2, " + hostile + " ×1",
		"POST cis.citrix.com /u": "",
	}
	for _, e := range r.Endpoints {
		if w, ok := want[e.Name]; !ok || e.SentBy != w {
			t.Errorf("endpoint %s: sent by %q, want %q", e.Name, e.SentBy, w)
		}
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, `<div class="sentby">sent by CitrixLicensingTelemetry.exe (service CitrixLicensingTelemetry) ×2, `) {
		t.Errorf("the page does not say which program sent the endpoint's captures")
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Errorf("a process name reached the page as HTML")
	}
	if n := strings.Count(page, `class="sentby"`); n != 1 {
		t.Errorf("sent-by lines: got %d, want 1 (none for an endpoint only remote clients sent)", n)
	}
}
