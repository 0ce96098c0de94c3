package store

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestStore_HostOpenings_ByHostBySeqUpToSize(t *testing.T) {
	s := newTestStore(t)
	mustAppend(t, s, request("B.example", "/1"), nil)                      // 1
	mustAppend(t, s, response(1), nil)                                     // 2: not an opening
	mustAppend(t, s, &Record{Kind: KindDenied, Client: "10.0.0.1:1"}, nil) // 3: no host
	mustAppend(t, s, request("a.example", "/2"), nil)                      // 4
	mustAppend(t, s, request("b.example", "/3"), nil)                      // 5
	mustAppend(t, s, &Record{Kind: KindTunnel, Host: "a.example"}, nil)    // 6
	mustAppend(t, s, &Record{Kind: KindDenied, Client: "10.0.0.2:1"}, nil) // 7: beyond size
	got := map[string]string{}
	err := s.HostOpenings(6, func(host string, o []Opening) error {
		if _, dup := got[host]; dup {
			t.Errorf("host %q twice", host)
		}
		var seqs []uint64
		for _, x := range o {
			seqs = append(seqs, x.Seq)
			r, _ := s.Record(x.Seq)
			if x.Time != IndexNanos(r.Time) {
				t.Errorf("seq %d: time %d, want the record's %d", x.Seq, x.Time, IndexNanos(r.Time))
			}
		}
		if !slices.IsSorted(seqs) {
			t.Errorf("host %q: seqs %v not by seq", host, seqs)
		}
		got[host] = fmt.Sprint(seqs)
		return nil
	})
	want := map[string]string{"a.example": "[4 6]", "b.example": "[1 5]", "": "[3]"}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if IndexNanos(time.Time{}) != IndexNanos(time.Unix(0, -1<<63)) {
		t.Error("IndexNanos does not clamp the zero time as the indexes do")
	}
}
