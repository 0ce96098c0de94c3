package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/store"
)

// TestCheckpointer_SignsPeriodicallyOnlyWhenTheLogGrew drives the loop with
// a short interval.
func TestCheckpointer_SignsPeriodicallyOnlyWhenTheLogGrew(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs syncBuffer
	c, err := openCheckpointer(dir, 20*time.Millisecond, st, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(dir, "ca", "log.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("log.key: %v %v, want mode 0600", info, err)
	}
	c.start()
	appendOne := func() {
		if _, err := st.Append(context.Background(), &store.Record{Kind: store.KindTunnel, Host: "example.org"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitCheckpoints := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			cps, _ := st.Checkpoints()
			if len(cps) == n {
				return
			}
			if len(cps) > n || time.Now().After(deadline) {
				t.Fatalf("got %d checkpoints, want %d", len(cps), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	appendOne()
	waitCheckpoints(1)
	time.Sleep(100 * time.Millisecond) // five ticks of an unchanged log
	waitCheckpoints(1)
	appendOne()
	waitCheckpoints(2)
	appendOne()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitCheckpoints(3) // the shutdown one
	if n := strings.Count(logs.String(), `"message":"evidence: signed checkpoint"`); n != 3 {
		t.Errorf("logged %d checkpoints, want 3:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `"level":"info"`) || !strings.Contains(logs.String(), `\n6\n`) { // three captures, each with its index record
		t.Errorf("checkpoint log lines do not carry the note at info level:\n%s", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
