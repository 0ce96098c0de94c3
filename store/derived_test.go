package store

import (
	"errors"
	"testing"
)

func TestStore_Derived_PutScanResetAndReadOnly(t *testing.T) {
	dir := newTestDir(t)
	s := mustOpen(t, dir, Options{Now: testClock()})
	err := s.DerivedView(func(d *DerivedTx) error {
		if v := d.Get(DerivedMeta, []byte("cursor")); v != nil {
			t.Errorf("fresh store: got %q, want no value", v)
		}
		return d.Scan(DerivedDrift, nil, func(k, v []byte) bool { t.Errorf("fresh store: scan got %q", k); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.DerivedUpdate(func(d *DerivedTx) error {
		for _, k := range []string{"b", "a", "c"} {
			if err := d.Put(DerivedDrift, []byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	s.DerivedView(func(d *DerivedTx) error {
		return d.Scan(DerivedDrift, []byte("b"), func(k, v []byte) bool { got = append(got, string(k)+"="+string(v)); return true })
	})
	if len(got) != 2 || got[0] != "b=vb" || got[1] != "c=vc" {
		t.Errorf("scan from b: got %v, want [b=vb c=vc]", got)
	}
	err = s.DerivedUpdate(func(d *DerivedTx) error { return d.Put("records", []byte("x"), []byte("y")) })
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("put into a log bucket: got %v, want ErrInvalid", err)
	}
	if err := s.DerivedReset(); err != nil {
		t.Fatal(err)
	}
	s.DerivedView(func(d *DerivedTx) error {
		if v := d.Get(DerivedDrift, []byte("a")); v != nil {
			t.Errorf("after reset: got %q, want nothing", v)
		}
		return nil
	})
	s.DerivedUpdate(func(d *DerivedTx) error { return d.Put(DerivedMeta, []byte("cursor"), []byte{1}) })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	ro := mustOpen(t, dir, Options{ReadOnly: true})
	if err := ro.DerivedUpdate(func(*DerivedTx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only update: got %v, want ErrReadOnly", err)
	}
	ro.DerivedView(func(d *DerivedTx) error {
		if v := d.Get(DerivedMeta, []byte("cursor")); len(v) != 1 {
			t.Errorf("read-only: got %v, want the value written before", v)
		}
		return nil
	})
}
