package admin

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// GET /api/captures?sent_by= keeps the captures sent by a program on the
// proxy's host, by its name, image, service, user or PID; each item says
// which program sent it, and a remote client's none.
func TestList_SentBy(t *testing.T) {
	st := openTestStore(t)
	telemetry := &store.Process{PID: 4388, Name: "CitrixLicensingTelemetry.exe",
		Image:    `C:\Program Files (x86)\Citrix\Licensing\Telemetry\CitrixLicensingTelemetry.exe`,
		Services: []string{"CitrixLicensingTelemetry"}, User: `NT AUTHORITY\NETWORK SERVICE`}
	curl := &store.Process{PID: 7432, Name: "curl.exe", Image: `C:\Windows\System32\curl.exe`, User: `LICSRV01\admin`}
	for i, p := range []*store.Process{telemetry, curl, nil, telemetry} {
		req := &store.Record{Kind: store.KindRequest, Time: day(i), Client: "127.0.0.1:5000", Process: p, Host: "las.cloud.com", Port: "443",
			Head: &store.Head{Method: "POST", URL: "https://las.cloud.com/upload", Proto: "HTTP/1.1"}}
		seq, err := st.Append(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp := &store.Record{Kind: store.KindResponse, Capture: seq, Time: day(i).Add(time.Millisecond), Head: &store.Head{Status: 200, Proto: "HTTP/1.1"}}
		if _, err := st.Append(context.Background(), resp, nil); err != nil {
			t.Fatal(err)
		}
	}
	srv, _ := newReviewAPI(t, Options{Store: st})
	for q, want := range map[string]string{
		"citrixlicensingtelemetry": "1,7",
		"CitrixLicensingTelemetry": "1,7",
		`Citrix\Licensing`:         "1,7",
		"network service":          "1,7",
		"7432":                     "3",
		"743":                      "",
		"curl":                     "3",
		"nosuch":                   "",
	} {
		var items []Item
		call(t, "GET", srv.URL+"/api/captures?sent_by="+url.QueryEscape(q), nil, &items)
		if got := ids(items); got != want {
			t.Errorf("sent_by=%s: got %q, want %q", q, got, want)
		}
	}
	var all []Item
	call(t, "GET", srv.URL+"/api/captures?order=asc&offset=0", nil, &all)
	if len(all) != 4 || !reflect.DeepEqual(all[0].Process, telemetry) || all[2].Process != nil {
		t.Fatalf("items: got %+v, want each with its process, the third none", all)
	}
}
