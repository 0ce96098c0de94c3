package store

import (
	"errors"
	"testing"
	"time"
)

// TestStore_PutMeasurement_NotALeaf: measurements are kept by source and
// time, oldest first, survive a reopen (read-only too), replace one of
// the same time, and leave the log as it was: no leaf, same root.
func TestStore_PutMeasurement_NotALeaf(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	if got, err := s.Measurements("wmi"); err != nil || len(got) != 0 {
		t.Fatalf("a store without the bucket: got %v, %v", got, err)
	}
	mustAppend(t, s, request("a.example", "/1"), nil)
	size, err := s.Size()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	for _, m := range []Measurement{
		{Source: "wmi", Time: t0.Add(15 * time.Minute), Data: []byte(`[2]`)},
		{Source: "wmi", Time: t0, Data: []byte(`[old]`)},
		{Source: "wmi", Time: t0, Data: []byte(`[1]`)},
		{Source: "other", Time: t0, Data: []byte(`x`)},
	} {
		if err := s.PutMeasurement(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []Measurement{{Source: "wmi", Time: t0}, {Time: t0, Data: []byte("x")}, {Source: "a\x00b", Time: t0, Data: []byte("x")}, {Source: "wmi", Data: []byte("x")}} {
		if err := s.PutMeasurement(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: got %v, want ErrInvalid", bad, err)
		}
	}
	if after, err := s.Size(); err != nil || after != size {
		t.Errorf("log size after measurements: got %d %v, want %d", after, err, size)
	}
	s.Close()
	r := mustOpen(t, dir, Options{ReadOnly: true})
	got, err := r.Measurements("wmi")
	if err != nil || len(got) != 2 || !got[0].Time.Equal(t0) || string(got[0].Data) != "[1]" || string(got[1].Data) != "[2]" {
		t.Errorf("got %+v %v, want [1] at %s then [2]", got, err, t0)
	}
	if err := r.PutMeasurement(Measurement{Source: "wmi", Time: t0, Data: []byte("x")}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only: got %v", err)
	}
	r.Close()

	// compact keeps them.
	if _, err := Compact(dir, 0); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, dir, Options{ReadOnly: true})
	defer c.Close()
	if got, err := c.Measurements("wmi"); err != nil || len(got) != 2 || string(got[1].Data) != "[2]" {
		t.Errorf("after compact: got %+v %v", got, err)
	}
}
