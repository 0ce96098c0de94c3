package store

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestStore_List_IndexerBehind_SaysSo: a List that cannot wait for the
// indexer returned what was indexed as if it were everything.
func TestStore_List_IndexerBehind_SaysSo(t *testing.T) {
	var failing atomic.Bool
	s := mustOpen(t, newTestDir(t), Options{Now: testClock(), ReadWait: 100 * time.Millisecond, indexRetry: time.Millisecond,
		beforeIndex: func(*bolt.Tx) error {
			if failing.Load() {
				return errors.New("disk full")
			}
			return nil
		}})
	mustAppend(t, s, request("example.com", "/1"), nil)
	if _, err := s.List(Query{}); err != nil {
		t.Fatalf("List, indexer caught up: %v", err)
	}
	failing.Store(true)
	mustAppend(t, s, request("example.com", "/2"), nil)
	caps, err := s.List(Query{})
	var behind *BehindError
	if !errors.As(err, &behind) || !errors.Is(err, ErrBehind) || behind.Missing != 1 || len(caps) != 1 {
		t.Fatalf("List, indexer failing: got %d captures, %v; want the 1 indexed and a BehindError missing 1", len(caps), err)
	}
	failing.Store(false) // Close applies the rest
}
