package admin

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/telltale/telltale/evidence"
)

// slowLog is an Evidence whose export writes part of a bundle, then waits
// until the test lets it finish.
type slowLog struct {
	*signedLog
	wrote, finish chan struct{}
}

func (l slowLog) Export(ctx context.Context, w io.Writer, sel evidence.Selection) (*evidence.Manifest, int, error) {
	w.Write([]byte(strings.Repeat("x", 3000)))
	close(l.wrote)
	<-l.finish
	return l.signedLog.Export(ctx, w, sel)
}

func TestExports_RunningShowsBytesWrittenWhileTheBundleIsWritten(t *testing.T) {
	log := slowLog{newSignedLog(t), make(chan struct{}), make(chan struct{})}
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Evidence: log})
	type running struct {
		Running []exportProgress
	}
	var r running
	if resp := call(t, "GET", srv.URL+"/api/exports/running", nil, &r); resp.StatusCode != http.StatusOK || len(r.Running) != 0 {
		t.Fatalf("before any export: status %d, %+v; want 200, none running", resp.StatusCode, r)
	}
	done := make(chan *exportView)
	go func() {
		var v exportView
		call(t, "POST", srv.URL+"/api/exports", map[string]any{}, &v)
		done <- &v
	}()
	<-log.wrote
	call(t, "GET", srv.URL+"/api/exports/running", nil, &r)
	if len(r.Running) != 1 || r.Running[0].Bytes != 3000 || r.Running[0].BytesPerSecond <= 0 {
		t.Errorf("while exporting: got %+v, want one export at 3000 bytes with a rate", r)
	}
	close(log.finish)
	if v := <-done; v.Size != 3000+int64(len("PK-not-really-a-zip")) {
		t.Errorf("the bundle's size: got %d, want every byte written", v.Size)
	}
	r = running{}
	call(t, "GET", srv.URL+"/api/exports/running", nil, &r)
	if len(r.Running) != 0 {
		t.Errorf("after the export: got %+v, want none running", r)
	}
	resp := call(t, "GET", srv.URL+"/api/exports/running", nil, nil, "Authorization", "")
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the token: status %d, want refused", resp.StatusCode)
	}
}
