package testbed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const days = 30

// TestClient_Run_30Days runs the simulated License Server straight against
// the LAS once and checks the run from several sides.
func TestClient_Run_30Days(t *testing.T) {
	las := MustStartLAS(t, LASOptions{})
	start := time.Now()
	rep := MustRun(t, las, &Client{Seed: 42}, days)
	limit := 3 * time.Second
	if raceEnabled {
		limit *= 5
	}
	if took := time.Since(start); took > limit {
		t.Errorf("30 days took %v, want under %v", took, limit)
	}
	exs := las.Received()

	t.Run("CountsPerEndpoint", func(t *testing.T) { checkCounts(t, rep, exs) })
	t.Run("WireBytesMatchSent", func(t *testing.T) { checkWire(t, rep, exs) })
	t.Run("TokenOnEveryLaterCall", func(t *testing.T) { checkTokens(t, rep) })
	t.Run("ConnectionsReused", func(t *testing.T) {
		conns := map[int]bool{}
		for _, ex := range exs {
			conns[ex.Conn] = true
			if ex.Conn == 0 || ex.ALPN != "h2" || ex.SNI != ex.Host {
				t.Fatalf("%s: conn %d ALPN %q SNI %q, want a numbered h2 conn with SNI %s", ex.URL, ex.Conn, ex.ALPN, ex.SNI, ex.Host)
			}
		}
		if len(conns) > 3 { // one per host: trust, las, cis
			t.Errorf("connections: got %d, want at most 3 for %d requests", len(conns), len(exs))
		}
	})
	t.Run("Compliance", func(t *testing.T) { checkCompliance(t, exchangesOf(exs, EndpointCompliance)) })
	t.Run("UsageBundle", func(t *testing.T) { checkUsage(t, exchangesOf(exs, EndpointUsage)) })
	t.Run("OfflineActivation", func(t *testing.T) { checkOffline(t, exs) })
	t.Run("CEIP", func(t *testing.T) { checkCEIP(t, exchangesOf(exs, EndpointCEIP)) })
	t.Run("Schedule", func(t *testing.T) { checkSchedule(t, rep, exs) })
	t.Run("FiguresRiseAndFall", func(t *testing.T) { checkFigures(t, rep) })
}

func TestExpected(t *testing.T) {
	for _, tc := range []struct{ days, want int }{{0, 0}, {1, 6}, {6, 36}, {7, 44}, {30, 182}} {
		if got := Expected(tc.days); got != tc.want {
			t.Errorf("Expected(%d): got %d, want %d", tc.days, got, tc.want)
		}
	}
}

func checkCounts(t *testing.T, rep Report, exs []Exchange) {
	want := ExpectedPerEndpoint(days)
	got := map[Endpoint]int{}
	for _, ex := range exs {
		got[ex.Endpoint]++
	}
	if !maps.Equal(got, want) {
		t.Errorf("received per endpoint: got %v, want %v", got, want)
	}
	for e, n := range want {
		if rep.Count(e) != n {
			t.Errorf("report count %s: got %d, want %d", e, rep.Count(e), n)
		}
	}
	if len(exs) != Expected(days) || len(rep.Sent) != Expected(days) {
		t.Errorf("received %d, sent %d, want %d", len(exs), len(rep.Sent), Expected(days))
	}
	for _, d := range rep.Days {
		if d.Requests[EndpointToken] != 1 || d.Requests[EndpointCEIP] != 1 {
			t.Errorf("day %d requests: got %v, want one token and one CEIP", d.Day, d.Requests)
		}
	}
}

// checkWire compares what the LAS received with the client's own copy.
func checkWire(t *testing.T, rep Report, exs []Exchange) {
	if len(exs) != len(rep.Sent) {
		t.Fatalf("received %d, sent %d", len(exs), len(rep.Sent))
	}
	for i, s := range rep.Sent {
		ex := exs[i]
		if ex.Method != s.Method || ex.URL != s.URL || ex.Endpoint != s.Endpoint || ex.Status != s.Status {
			t.Fatalf("exchange %d: got %s %s (%s) %d, want %s %s (%s) %d",
				i, ex.Method, ex.URL, ex.Endpoint, ex.Status, s.Method, s.URL, s.Endpoint, s.Status)
		}
		if !bytes.Equal(ex.Body, s.Body) || !bytes.Equal(ex.Response, s.Response) {
			t.Fatalf("exchange %d (%s): wire bytes differ from what the client sent or got", i, s.Endpoint)
		}
		for name, values := range s.Header { // keys may be non-canonical
			if got, want := ex.Get(name), values[0]; got != want {
				t.Errorf("exchange %d header %s: got %q, want %q", i, name, got, want)
			}
		}
	}
}

func checkTokens(t *testing.T, rep Report) {
	var token string
	for _, s := range rep.Sent {
		if s.Endpoint == EndpointToken {
			var resp tokenResponse
			json.Unmarshal(s.Response, &resp)
			token = resp.Token
			continue
		}
		if got, want := s.Header.Get("Authorization"), "CWSAuth bearer="+token; got != want {
			t.Fatalf("day %d %s Authorization: got %q, want %q", s.Day, s.Endpoint, got, want)
		}
	}
}

func decodeComplianceExchange(t *testing.T, ex Exchange) (complianceUpload, map[string]any) {
	t.Helper()
	up, err := decodeCompliance(ex.Body)
	if err != nil {
		t.Fatalf("compliance upload: %v", err)
	}
	var data map[string]any
	if err := json.Unmarshal(up.Data, &data); err != nil {
		t.Fatalf("compliance data: %v", err)
	}
	return up, data
}

func checkCompliance(t *testing.T, exs []Exchange) {
	for _, ex := range exs {
		if ex.Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(ex.Body, []byte{0x1f, 0x8b}) {
			t.Fatalf("compliance: Content-Encoding %q, want a gzip body", ex.Get("Content-Encoding"))
		}
		if n := len(ex.Body); n < 1<<10 || n > 64<<10 {
			t.Errorf("compliance size: got %d bytes, want a few KiB to tens of KiB", n)
		}
		up, data := decodeComplianceExchange(t, ex)
		if up.UTCDate == "" || up.Date == "" || up.ProductUTCDeployDate == "" || len(up.UI) != 64 {
			t.Errorf("compliance metadata: got %+v", up)
		}
		ls, _ := data["LicenseServer"].(map[string]any)
		for _, k := range []string{"GUID", "HardwareId", "FQDN", "InstallUTC", "Version", "SGPClockErrorCode", "SGPMaxDays"} {
			if _, ok := ls[k]; !ok {
				t.Errorf("compliance LicenseServer lacks %s", k)
			}
		}
		features, _ := data["Features"].([]any)
		if len(features) < 3 {
			t.Fatalf("compliance features: got %d, want at least 3", len(features))
		}
		for _, f := range features {
			fm := f.(map[string]any)
			for _, k := range []string{"Id", "UserReportUTC", "DeviceReportUTC", "UsersReleased", "DevicesReleased", "SADate", "CountUsedMax", "CCUDevices"} {
				if _, ok := fm[k]; !ok {
					t.Errorf("compliance feature %v lacks %s", fm["Id"], k)
				}
			}
			if sa, _ := fm["SADate"].([]any); len(sa) == 0 || sa[0].(map[string]any)["Start"] == nil {
				t.Errorf("compliance feature %v: SADate samples with Start/Stop missing", fm["Id"])
			}
		}
	}
}

var ueName = regexp.MustCompile(`^ue_lt_\d{10}\.zip$`)

func checkUsage(t *testing.T, exs []Exchange) {
	for i, ex := range exs {
		if n := len(ex.Body); n < 10<<10 || n > 200<<10 {
			t.Errorf("usage bundle size: got %d bytes, want tens of KiB", n)
		}
		m, err := decodeUsage(ex.Body)
		if err != nil {
			t.Fatalf("usage bundle day %d: %v", i+1, err)
		}
		files, _ := unzip(ex.Body)
		inner := 0
		for _, f := range files {
			if ueName.MatchString(f.name) {
				inner++
				if _, err := unzip(f.data); err != nil {
					t.Errorf("%s is not a zip: %v", f.name, err)
				}
			}
		}
		if m.TotalFiles != inner || inner < 3 {
			t.Errorf("usage day %d: TotalFiles %d, inner zips %d", i+1, m.TotalFiles, inner)
		}
		wantType := "Auto"
		if i+1 == OfflineDay {
			wantType = "Manual"
		}
		if m.UploadType != wantType || m.Ccid != DefaultCCID || m.OrgID == "" || len(m.Serials) == 0 {
			t.Errorf("usage day %d manifest: got %+v", i+1, m)
		}
		for _, f := range m.Files {
			if f.OfferingType != "Broker" || f.EventEnd <= f.EventStart {
				t.Errorf("usage file %+v: want OfferingType Broker and start < end", f)
			}
		}
	}
}

func checkOffline(t *testing.T, exs []Exchange) {
	offline := exchangesOf(exs, EndpointOffline)
	if len(offline) != 1 {
		t.Fatalf("offline activations: got %d, want 1", len(offline))
	}
	ex := offline[0]
	_, params, err := mime.ParseMediaType(ex.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		t.Fatalf("offline Content-Type %q: %v", ex.Get("Content-Type"), err)
	}
	req, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader(ex.Body))
	req.Header.Set("Content-Type", ex.Get("Content-Type"))
	reqJSON, err := readOfflineForm(req)
	if err != nil {
		t.Fatalf("offline form: %v", err)
	}
	var or offlineRequest
	json.Unmarshal(reqJSON, &or)
	_, data := decodeComplianceExchange(t, exchangesOf(exs, EndpointCompliance)[0])
	if want := data["LicenseServer"].(map[string]any)["GUID"]; or.LSGUID != want {
		t.Errorf("ns_offline_activation_request.json lsguid: got %q, want %v", or.LSGUID, want)
	}
	var resp offlineResponse
	if err := json.Unmarshal(ex.Response, &resp); err != nil || resp.NewActivationID == "" {
		t.Fatalf("offline response: %s", ex.Response)
	}
	if files, err := untarGz(resp.Blob); err != nil || files["ns_offline_activation_response.json"] == nil {
		t.Errorf("activation blob: %v, files %v", err, slices.Collect(maps.Keys(files)))
	}
	// The next renewal carries the new activation.
	renewals := exchangesOf(exs, EndpointRenew)
	var next renewRequest
	json.Unmarshal(renewals[OfflineDay].Body, &next)
	if next.ActivationID != resp.NewActivationID {
		t.Errorf("renewal after offline activation: activationid %q, want %q", next.ActivationID, resp.NewActivationID)
	}
	if lists := exchangesOf(exs, EndpointListLS); len(lists) != 1 || !bytes.Contains(lists[0].Response, []byte(or.LSGUID)) {
		t.Errorf("listls: want one call listing %s", or.LSGUID)
	}
}

func checkCEIP(t *testing.T, exs []Exchange) {
	for _, ex := range exs {
		var ev ceipEvent
		if err := json.Unmarshal(ex.Body, &ev); err != nil {
			t.Fatalf("ceip: %v", err)
		}
		if ev.Header.Prod != "OnPrem.Broker" || ev.Header.Type != "SendBrokerTelemetryData" || ev.Tenant.ID != "CitrixOnPremises" {
			t.Errorf("ceip header: got %+v tenant %q", ev.Header, ev.Tenant.ID)
		}
		if len(ev.Users) == 0 || len(ev.Users[0].UPN) != 24 || strings.Contains(string(ex.Body), "@corp.example.com") {
			t.Errorf("ceip users: want hashed fields (base64 of 16 bytes), no clear user names")
		}
		if ex.Status != http.StatusNoContent {
			t.Errorf("ceip status: got %d, want 204", ex.Status)
		}
	}
}

// checkSchedule finds the new feature and the upgrade where the schedule
// puts them, in the wire bytes as well as in the report.
func checkSchedule(t *testing.T, rep Report, exs []Exchange) {
	for i, ex := range exchangesOf(exs, EndpointCompliance) {
		day := i + 1
		_, data := decodeComplianceExchange(t, ex)
		ls := data["LicenseServer"].(map[string]any)
		_, hasField := ls[UpgradeField]
		hasFeature := strings.Contains(string(mustJSON(data["Features"])), `"Id":"`+NewFeatureID+`"`)
		wantVersion := InitialVersion
		if day >= UpgradeDay {
			wantVersion = UpgradedVersion
		}
		if hasField != (day >= UpgradeDay) || hasFeature != (day >= NewFeatureDay) || ls["Version"] != wantVersion {
			t.Errorf("day %d: %s %v, %s %v, version %v", day, UpgradeField, hasField, NewFeatureID, hasFeature, ls["Version"])
		}
	}
	for _, d := range rep.Days {
		var wantNew, wantFields []string
		if d.Day == NewFeatureDay {
			wantNew = []string{NewFeatureID}
		}
		if d.Day == UpgradeDay {
			wantFields = []string{UpgradeField}
		}
		if !slices.Equal(d.NewFeatures, wantNew) || !slices.Equal(d.NewFields, wantFields) {
			t.Errorf("day %d drift: features %v fields %v, want %v %v", d.Day, d.NewFeatures, d.NewFields, wantNew, wantFields)
		}
	}
	renewals := sentOf(rep.Sent, EndpointRenew)
	if a, b := renewals[UpgradeDay-2].Header.Get("User-Agent"), renewals[UpgradeDay-1].Header.Get("User-Agent"); a == b {
		t.Errorf("User-Agent did not change with the upgrade: %q", a)
	}
}

func checkFigures(t *testing.T, rep Report) {
	rises, falls := 0, 0
	for day := 2; day <= days; day++ {
		prev, _ := rep.Feature(day-1, "XDS_ADV_CCS")
		cur, ok := rep.Feature(day, "XDS_ADV_CCS")
		if !ok || cur.CountUsedMax < 1 || cur.CountUsedMax > cur.Installed {
			t.Fatalf("day %d XDS_ADV_CCS: %+v, %v", day, cur, ok)
		}
		switch {
		case cur.CountUsedMax > prev.CountUsedMax:
			rises++
		case cur.CountUsedMax < prev.CountUsedMax:
			falls++
		}
	}
	if rises < 3 || falls < 3 {
		t.Errorf("CountUsedMax over %d days: %d rises, %d falls, want both", days, rises, falls)
	}
}

// TestClient_Run_SameSeedSameBytes runs the client twice with one seed,
// each time against a fresh LAS, then once with a shorter run and once with
// another seed.
func TestClient_Run_SameSeedSameBytes(t *testing.T) {
	run := func(seed int64, n int) Report {
		return MustRun(t, MustStartLAS(t, LASOptions{}), &Client{Seed: seed}, n)
	}
	a, b := run(7, days), run(7, days)
	for i := range a.Sent {
		if !bytes.Equal(a.Sent[i].Body, b.Sent[i].Body) {
			t.Fatalf("request %d (%s day %d): bodies differ between runs with one seed", i, a.Sent[i].Endpoint, a.Sent[i].Day)
		}
		if fmt.Sprint(a.Sent[i].Header) != fmt.Sprint(b.Sent[i].Header) {
			t.Fatalf("request %d: headers differ: %v / %v", i, a.Sent[i].Header, b.Sent[i].Header)
		}
	}
	short := run(7, 10)
	for i := range short.Sent {
		if !bytes.Equal(short.Sent[i].Body, a.Sent[i].Body) {
			t.Fatalf("request %d: a 10-day run differs from the start of a 30-day run", i)
		}
	}
	other := run(8, 2)
	if bytes.Equal(other.Sent[2].Body, a.Sent[2].Body) {
		t.Errorf("seeds 7 and 8 sent the same compliance upload")
	}
}

func TestClient_Run_HTTP1(t *testing.T) {
	las := MustStartLAS(t, LASOptions{DisableHTTP2: true})
	MustRun(t, las, &Client{Seed: 1}, 2)
	for _, ex := range las.Received() {
		if ex.Proto != "HTTP/1.1" || ex.ALPN != "http/1.1" {
			t.Fatalf("proto %s ALPN %q, want HTTP/1.1", ex.Proto, ex.ALPN)
		}
		if ex.Header[0].Name != "Host" || ex.Get("Citrix-CustomerId") == "" && ex.Endpoint != EndpointToken {
			t.Fatalf("%s headers: got %v, want Host first and Citrix-CustomerId", ex.Endpoint, ex.Header)
		}
	}
	ex := exchangesOf(las.Received(), EndpointRenew)[0]
	if !slices.ContainsFunc(ex.Header, func(h Header) bool { return h.Name == "Citrix-CustomerId" }) {
		t.Errorf("Citrix-CustomerId lost its case: %v", ex.Header)
	}
}

func TestClient_Run_Errors(t *testing.T) {
	las := MustStartLAS(t, LASOptions{})
	_, err := (&Client{RootCAs: las.RootCAs(), Resolve: las.Resolve(), ClientSecret: "wrong"}).Run(context.Background(), 1)
	var se *StatusError
	if !errors.As(err, &se) || se.Endpoint != EndpointToken || se.Status != http.StatusUnauthorized {
		t.Errorf("wrong secret: got %v, want a 401 StatusError from the token endpoint", err)
	}
	_, err = (&Client{RootCAs: las.RootCAs()}).Run(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "no Resolve entry") {
		t.Errorf("direct without Resolve: got %v, want a refusal to dial", err)
	}
	_, err = (&Client{Resolve: las.Resolve()}).Run(context.Background(), 1)
	if err == nil {
		t.Errorf("without the LAS CA: got no error, want a certificate error")
	}
	if n := len(exchangesOf(las.Received(), EndpointRenew)); n != 0 {
		t.Errorf("renewals after failed runs: got %d, want 0", n)
	}
}
