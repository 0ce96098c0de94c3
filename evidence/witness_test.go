package evidence

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/telltale/telltale/store"
)

// witnessServer is a test witness: it keeps what it was sent, or refuses
// with fail.
type witnessServer struct {
	*httptest.Server
	mu    sync.Mutex
	posts []WitnessPost
	fail  bool
}

func newWitnessServer(t *testing.T) *witnessServer {
	w := &witnessServer{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		var p WitnessPost
		if w.fail || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&p) != nil {
			http.Error(rw, "no", http.StatusInternalServerError)
			return
		}
		w.posts = append(w.posts, p)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *witnessServer) setFail(fail bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fail = fail
}

func (w *witnessServer) received() []WitnessPost {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]WitnessPost(nil), w.posts...)
}

func TestSendCheckpoints_PostsEachOnceWithItsTimestamp(t *testing.T) {
	st, k, tsa := stampedStore(t)
	ws := newWitnessServer(t)
	w := &Witness{URL: ws.URL}
	ws.setFail(true)
	if n, err := SendCheckpoints(context.Background(), st, w, k.vkey, 0); n != 0 || err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("witness refusing: sent %d, %v; want 0 and the 500", n, err)
	}
	// A token in the URL never reaches a message, refused or unreachable.
	for _, u := range []string{ws.URL + "/hook/SECRET?token=SECRET", "http://127.0.0.1:1/hook/SECRET"} {
		if _, err := SendCheckpoints(context.Background(), st, &Witness{URL: u}, k.vkey, 0); err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("witness %s: got %v, want an error without the token", u, err)
		}
	}
	ws.setFail(false)
	if n, err := SendCheckpoints(context.Background(), st, w, k.vkey, 0); n != 2 || err != nil {
		t.Fatalf("retry: sent %d, %v; want 2", n, err)
	}
	if n, err := SendCheckpoints(context.Background(), st, w, k.vkey, 0); n != 0 || err != nil {
		t.Fatalf("again: sent %d, %v; want 0: both have receipts", n, err)
	}
	posts := ws.received()
	if len(posts) != 2 || posts[0].Checkpoint != 2 || posts[1].Checkpoint != 1 {
		t.Fatalf("posts: got %+v, want checkpoints 2 then 1", posts)
	}
	roots, _ := ParseTSARoots(tsa.RootPEM())
	for _, p := range posts {
		ck, err := Open([]byte(p.Note), k.verifier(t))
		if err != nil || ck.Size != p.TreeSize || p.Key != k.vkey {
			t.Errorf("post of checkpoint %d: note %v, size %d vs %d", p.Checkpoint, err, ck.Size, p.TreeSize)
		}
		if _, err := CheckTimestamp(p.Timestamp, []byte(p.Note), roots); err != nil {
			t.Errorf("post of checkpoint %d: timestamp: %v", p.Checkpoint, err)
		}
	}
	receipts, _ := st.Anchors(store.AnchorWitness)
	var r WitnessReceipt
	if len(receipts) != 2 || json.Unmarshal(receipts[2], &r) != nil || r.URL != ws.URL || r.Status != 200 {
		t.Errorf("receipts: got %d, checkpoint 2's %+v", len(receipts), r)
	}
}
