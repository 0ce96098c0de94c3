package measure

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/store"
)

// memStore keeps measurements in memory, as the store does: one per
// source and time.
type memStore struct {
	mu sync.Mutex
	m  map[time.Time]store.Measurement
}

func (s *memStore) PutMeasurement(m store.Measurement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[m.Time] = m
	return nil
}

func (s *memStore) Measurements(source string) ([]store.Measurement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Measurement
	for _, m := range s.m {
		if m.Source == source {
			out = append(out, m)
		}
	}
	return out, nil
}

// failOnce fails its first sample, then gives one pool at each call's
// time.
type failOnce struct {
	mu sync.Mutex
	n  int
}

func (f *failOnce) Sample(context.Context) ([]Sample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.n == 1 {
		return nil, errors.New("Invalid namespace")
	}
	return []Sample{{Time: at.Add(time.Duration(f.n) * time.Minute), License: "XDT_PLT_UD", Count: 10, InUse: f.n}}, nil
}

// TestLoop_FailureLoggedThenKept: a failed sample is logged and the loop
// goes on; the next ones are kept, one measurement per sampling time,
// and Load gives them back.
func TestLoop_FailureLoggedThenKept(t *testing.T) {
	st := &memStore{m: map[time.Time]store.Measurement{}}
	var log syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Loop{Sampler: &failOnce{}, Interval: 5 * time.Millisecond, Store: st, Log: zerolog.New(&log)}.Run(ctx)
		close(done)
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if ss, _ := Load(st); len(ss) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	cancel()
	<-done
	ss, err := Load(st)
	if err != nil || len(ss) < 2 {
		t.Fatalf("got %+v %v, want the samples after the failure", ss, err)
	}
	if !strings.Contains(log.String(), "Invalid namespace") {
		t.Errorf("log: %q, want the failure", log.String())
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
