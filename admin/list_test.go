package admin

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// tenExchanges appends ten captures, one a day: ids 1, 3, ... 19 (each
// has a response record after it). Odd days go to b.example with GET;
// every third day failed with a 500; day 9 has no response yet.
func tenExchanges(t *testing.T, st *store.Store) {
	t.Helper()
	for i := range 10 {
		x := exchange{host: "a.example", method: "POST", path: fmt.Sprintf("/upload/%d", 100000+i), status: 200, at: day(i),
			body: gzipped(fmt.Sprintf(`{"day":%d,"CountUsedMax":%d}`, i, 10*i)), ctype: "application/json", enc: "gzip"}
		if i%2 == 1 {
			x.host, x.method, x.path, x.body, x.enc = "b.example", "GET", "/token", []byte(`{"same":1}`), ""
		}
		if i%3 == 0 {
			x.status = 500
		}
		if i == 9 {
			x.status = 0
		}
		appendExchange(t, st, x)
	}
}

func TestList_PagesNewestFirst_ByOffsetAndCursor(t *testing.T) {
	st := openTestStore(t)
	tenExchanges(t, st)
	srv, _ := newReviewAPI(t, Options{Store: st})
	var page1, page2, byOffset, legacy []Item
	r := call(t, "GET", srv.URL+"/api/captures?order=desc&limit=3", nil, &page1)
	if got := ids(page1); got != "19,17,15" {
		t.Errorf("first page: got %s, want 19,17,15", got)
	}
	if r.Header.Get("X-Total-Count") != "10" || r.Header.Get("X-Catalog-Count") != "10" || r.Header.Get("X-Next-Cursor") != "15" {
		t.Errorf("headers: got total %q, catalog %q, next %q", r.Header.Get("X-Total-Count"), r.Header.Get("X-Catalog-Count"), r.Header.Get("X-Next-Cursor"))
	}
	if !strings.Contains(r.Header.Get("Link"), "cursor=15") {
		t.Errorf("Link: got %q, want a next link with cursor=15", r.Header.Get("Link"))
	}
	call(t, "GET", srv.URL+"/api/captures?order=desc&limit=3&cursor=15", nil, &page2)
	call(t, "GET", srv.URL+"/api/captures?order=desc&limit=3&offset=3", nil, &byOffset)
	if ids(page2) != "13,11,9" || ids(byOffset) != "13,11,9" {
		t.Errorf("second page: by cursor %s, by offset %s, want 13,11,9", ids(page2), ids(byOffset))
	}
	r = call(t, "GET", srv.URL+"/api/captures?order=asc&limit=5&offset=8", nil, &page1)
	if ids(page1) != "17,19" || r.Header.Get("X-Next-Cursor") != "" {
		t.Errorf("last page: got %s next %q, want 17,19 and no cursor", ids(page1), r.Header.Get("X-Next-Cursor"))
	}
	// Without paging parameters the endpoint answers as the CLI expects.
	call(t, "GET", srv.URL+"/api/captures?limit=2", nil, &legacy)
	if ids(legacy) != "17,19" {
		t.Errorf("legacy newest 2: got %s, want 17,19", ids(legacy))
	}
	if page1[0].Endpoint != "POST a.example /upload/{id}" || page1[0].Prev != "13" || !page1[0].Complete ||
		page1[1].Prev != "15" || page1[1].Complete || page1[1].BodyChanged || !page1[0].BodyChanged {
		t.Errorf("items: got %+v", page1)
	}
}

func TestList_Filters(t *testing.T) {
	st := openTestStore(t)
	tenExchanges(t, st)
	fake := &uiAnalyst{drift: []analysis.DriftEvent{{ID: "5", Kind: analysis.DriftNewField}, {ID: "5", Kind: analysis.DriftNewField}, {ID: "11"}}}
	srv, _ := newReviewAPI(t, Options{Store: st, Analysis: fake})
	for _, tc := range []struct {
		query, want string
		counted     bool
	}{
		{"host=a.example", "17,13,9,5,1", true},
		{"host=B.EXAMPLE&method=get", "19,15,11,7,3", true},
		{"status=5xx", "13,7,1", true},
		{"status=200", "17,15,11,9,5,3", true},
		{"status=none", "19", true},
		{"status=200,404", "17,15,11,9,5,3", true},
		{"kind=exchange&status=2xx,5xx", "17,15,13,11,9,7,5,3,1", true},
		{"kind=tunnel", "", true},
		{"since=" + day(3).Format(time.RFC3339) + "&until=" + day(6).Format(time.RFC3339), "11,9,7", true},
		{"endpoint=" + url.QueryEscape("POST a.example /upload/{id}"), "17,13,9,5,1", true},
		{"drift=1", "11,5", true},
		{"q=TOKEN", "19,15,11,7,3", false},   // in the URL, any case
		{"q=countusedmax%22:40", "9", false}, // in a gzip JSON body
		{"q=nowhere-at-all", "", false},
		{"q=same%22:1&host=b.example&status=200", "15,11,3", false},
	} {
		var items []Item
		r := call(t, "GET", srv.URL+"/api/captures?order=desc&"+tc.query, nil, &items)
		if r.StatusCode != 200 {
			t.Errorf("%s: status %d", tc.query, r.StatusCode)
			continue
		}
		if got := ids(items); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.query, got, tc.want)
		}
		if total := r.Header.Get("X-Total-Count"); tc.counted && total != fmt.Sprint(len(items)) {
			t.Errorf("%s: X-Total-Count %q, want %d", tc.query, total, len(items))
		} else if !tc.counted && total != "" {
			t.Errorf("%s: X-Total-Count %q on a body search, want none", tc.query, total)
		}
	}
	var items []Item
	call(t, "GET", srv.URL+"/api/captures?order=desc&drift=1", nil, &items)
	if len(items) != 2 || items[1].Drift != 2 {
		t.Errorf("drift marks: got %+v, want capture 5 with 2 events", items)
	}
}

func TestList_ChangedByField(t *testing.T) {
	st := openTestStore(t)
	tenExchanges(t, st)
	// The b.example GETs send the same bytes every time: only the first
	// (3) counts. Of the a.example uploads (1, 5, 9, 13, 17) the first
	// counts, the analysis says 9 changed in a field that is not
	// volatile, and it cannot compare 13 (not an exchange), which
	// counts as changed.
	fake := &uiAnalyst{counted: map[string]int{"5": 0, "9": 3, "17": 0}}
	srv, _ := newReviewAPI(t, Options{Store: st, Analysis: fake})
	var items []Item
	call(t, "GET", srv.URL+"/api/captures?order=desc&changed=1", nil, &items)
	if got := ids(items); got != "13,9,3,1" {
		t.Errorf("changed=1: got %s, want 13,9,3,1", got)
	}
	_ = items
	srv2, _ := newReviewAPI(t, Options{Store: st})
	call(t, "GET", srv2.URL+"/api/captures?order=desc&changed=1", nil, &items)
	if got := ids(items); got != "17,13,9,5,3,1" {
		t.Errorf("changed=1 without analysis (bytes): got %s, want 17,13,9,5,3,1", got)
	}
}

func TestList_RefusesBadParameters(t *testing.T) {
	st := openTestStore(t)
	srv, _ := newReviewAPI(t, Options{Store: st})
	for _, q := range []string{"order=sideways", "limit=0", "limit=5000", "offset=-1", "cursor=abc", "status=6xx",
		"status=99", "kind=pigeon", "since=yesterday", "changed=maybe"} {
		if !strings.HasPrefix(q, "order") {
			q = "order=desc&" + q // a paging query
		}
		if r := call(t, "GET", srv.URL+"/api/captures?"+q, nil, nil); r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", q, r.StatusCode)
		}
	}
	if r := call(t, "GET", srv.URL+"/api/captures?order=desc&cursor=424242", nil, nil); r.StatusCode != 200 || r.Header.Get("X-Total-Count") != "0" {
		t.Errorf("unknown cursor: got %d %q, want an empty page", r.StatusCode, r.Header.Get("X-Total-Count"))
	}
}

func TestFacetsAndRelated(t *testing.T) {
	st := openTestStore(t)
	tenExchanges(t, st)
	srv, _ := newReviewAPI(t, Options{Store: st})
	var f map[string][]facet
	call(t, "GET", srv.URL+"/api/facets", nil, &f)
	if len(f["hosts"]) != 2 || f["hosts"][0].Count != 5 || len(f["methods"]) != 2 || len(f["endpoints"]) != 2 {
		t.Errorf("facets: got %+v", f)
	}
	// Exact endpoints, as export --endpoint takes them: the templated
	// upload endpoint is five exact ones.
	if ex := f["exact_endpoints"]; len(ex) != 6 || ex[0] != (facet{Value: "GET b.example/token", Count: 5}) || ex[1].Value != "POST a.example/upload/100000" {
		t.Errorf("exact endpoints: got %+v", ex)
	}
	var rel struct {
		Item       Item
		Prev, Next string
	}
	call(t, "GET", srv.URL+"/api/captures/9/related", nil, &rel)
	if rel.Item.ID != "9" || rel.Prev != "5" || rel.Next != "13" {
		t.Errorf("related 9: got %+v, want prev 5 and next 13", rel)
	}
	if r := call(t, "GET", srv.URL+"/api/captures/10/related", nil, nil); r.StatusCode != 404 {
		t.Errorf("related of a response record: got %d, want 404", r.StatusCode)
	}
}

func TestEvents_StreamNewCapturesUntilClose(t *testing.T) {
	st := openTestStore(t)
	srv, h := newReviewAPI(t, Options{Store: st})
	req, _ := http.NewRequest("GET", srv.URL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+uiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type: got %q", ct)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(prefix string) string {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %q within 5s", prefix)
			}
		}
	}
	wait("event: hello")
	id := appendExchange(t, st, exchange{host: "las.cloud.com", path: "/x", status: 200, at: day(1), body: []byte("{}")})
	wait("event: capture")
	if got := wait("id: "); got != fmt.Sprintf("id: %d", id) {
		t.Errorf("event id: got %q, want %d", got, id)
	}
	h.Close()
	for range lines { // the stream ends
	}
}

func TestList_OrdersByTimeWhenRecordsComeOutOfOrder(t *testing.T) {
	st := openTestStore(t)
	for _, d := range []int{5, 2, 9, 2} {
		appendExchange(t, st, exchange{host: "a.example", path: "/x", status: 200, at: day(d), body: []byte("{}")})
	}
	srv, h := newReviewAPI(t, Options{Store: st})
	var items []Item
	call(t, "GET", srv.URL+"/api/captures?order=desc", nil, &items)
	if got := ids(items); got != "5,1,7,3" {
		t.Errorf("desc by time: got %s, want 5,1,7,3", got)
	}
	// One more, older than all, after the catalog was read.
	appendExchange(t, st, exchange{host: "a.example", path: "/x", status: 200, at: day(0), body: []byte("{}")})
	call(t, "GET", srv.URL+"/api/captures?order=asc&limit=2", nil, &items)
	if got := ids(items); got != "9,3" {
		t.Errorf("asc after an early record: got %s, want 9,3", got)
	}
	_ = h
}
