package evidence

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// stepClock is a clock a test sets.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// lagStore signs a checkpoint that claims claimed and has it time-stamped
// by a TSA whose clock says stamped.
func lagStore(t *testing.T, claimed, stamped time.Time) (*store.Store, testKey, *testbed.TSA) {
	t.Helper()
	clock := &stepClock{now: stamped}
	tsa, err := testbed.NewTSA(testbed.TSAOptions{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tsa.Start()
	t.Cleanup(func() { tsa.Close() })
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/lag")
	fill(t, st, 3)
	if _, _, err := SignTree(st, k.signer, claimed); err != nil {
		t.Fatal(err)
	}
	if n, err := StampCheckpoints(context.Background(), st, tsaClient(t, tsa, true), 0); n != 1 || err != nil {
		t.Fatalf("StampCheckpoints: %d, %v; want 1", n, err)
	}
	return st, k, tsa
}

// TestVerify_LateTimestampFails: a checkpoint that claims 03:05 but was
// time-stamped at 03:23 fails the store's and the bundle's verify with
// the default --max-lag; one stamped a minute after its time passes, and
// says what the timestamp proves.
func TestVerify_LateTimestampFails(t *testing.T) {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	claimed := day.Add(3*time.Hour + 5*time.Minute)
	for _, tc := range []struct {
		name    string
		stamped time.Time
		late    bool
	}{
		{"stamped 18 minutes late", day.Add(3*time.Hour + 23*time.Minute), true},
		{"stamped 20 minutes early", day.Add(2*time.Hour + 45*time.Minute), true},
		{"stamped a minute after", day.Add(3*time.Hour + 6*time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, k, tsa := lagStore(t, claimed, tc.stamped)
			roots, err := ParseTSARoots(tsa.RootPEM())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t), TSARoots: roots, MaxLag: DefaultMaxLag})
			if err != nil {
				t.Fatal(err)
			}
			b := export(t, st, k, Selection{})
			brep, err := VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)),
				BundleOptions{Keys: []string{k.vkey}, TSARoots: roots, MaxLag: DefaultMaxLag})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.late {
				if !rep.OK() || !brep.OK() {
					t.Fatalf("store: %v; bundle: %v; want both to verify", findingStrings(rep.Failures), findingStrings(brep.Failures))
				}
				want := "proven no later than " + tc.stamped.Format(time.RFC3339) + " by CN=Telltale testbed simulated TSA,O=Telltale testbed"
				if got := brep.Anchors.Timestamps[0].ProvenBy(); got != want {
					t.Errorf("got %q, want %q", got, want)
				}
				return
			}
			for _, fs := range [][]Finding{rep.Failures, brep.Failures} {
				if len(fs) != 1 || !strings.Contains(fs[0].Msg, ErrLateTimestamp.Error()) ||
					!strings.Contains(fs[0].Msg, tc.stamped.Format(time.RFC3339)) || !strings.Contains(fs[0].Msg, claimed.Format(time.RFC3339)) {
					t.Errorf("failures %v; want one late timestamp naming %s and %s", findingStrings(fs), tc.stamped.Format(time.RFC3339), claimed.Format(time.RFC3339))
				}
			}
			if len(rep.Anchors.Timestamps) != 0 || len(brep.Anchors.Timestamps) != 0 {
				t.Error("a late timestamp is counted as checked")
			}
			// Without a lag to compare against, the same timestamp
			// verifies: it is the comparison that fails it.
			if rep, _ := Verify(st, VerifyOptions{Verifier: k.verifier(t), TSARoots: roots}); !rep.OK() {
				t.Errorf("MaxLag 0: %v", findingStrings(rep.Failures))
			}
		})
	}
}

func TestCheckLag_Bounds(t *testing.T) {
	at := time.Date(2026, 4, 15, 3, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		lag  time.Duration
		fail bool
	}{{0, false}, {DefaultMaxLag, false}, {DefaultMaxLag + time.Second, true}, {-DefaultMaxLag - time.Second, true}, {-time.Second, false}} {
		err := checkLag(at, Stamped{Time: at.Add(tc.lag), TSA: "CN=tsa"}, DefaultMaxLag)
		if (err != nil) != tc.fail || (err != nil && !errors.Is(err, ErrLateTimestamp)) {
			t.Errorf("lag %v: got %v, want failure %v", tc.lag, err, tc.fail)
		}
	}
}

// TestStampCheckpointsSince_LeavesOldOnes: a checkpoint older than the
// window is not stamped (its timestamp would be late); a new one is.
func TestStampCheckpointsSince_LeavesOldOnes(t *testing.T) {
	tsa, err := testbed.NewTSA(testbed.TSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tsa.Start()
	t.Cleanup(func() { tsa.Close() })
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/window")
	now := time.Now().UTC()
	fill(t, st, 2)
	SignTree(st, k.signer, now.Add(-time.Hour))
	fill(t, st, 2)
	SignTree(st, k.signer, now.Add(-time.Minute))
	n, err := StampCheckpointsSince(context.Background(), st, tsaClient(t, tsa, false), now.Add(-StampWindow), 0)
	if n != 1 || err != nil {
		t.Fatalf("stamped %d, %v; want 1", n, err)
	}
	if u, _ := Unstamped(st); u != 1 {
		t.Errorf("unstamped: got %d, want 1 (the hour-old checkpoint)", u)
	}
}
