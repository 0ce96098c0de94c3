package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Derived buckets hold what package analysis learns from the log:
// endpoint baselines, drift events, figures and its cursor. They live in
// the same database file but are not log leaves: nothing in them is
// hashed, Compact copies them, and DerivedReset may delete them at any
// time, to be rebuilt from the records. doc.go lists their keys.
const (
	DerivedMeta      = "derived_meta"
	DerivedEndpoints = "derived_endpoints"
	DerivedDrift     = "derived_drift"
	DerivedFigures   = "derived_figures"
	// DerivedIdentities holds each personal identifier sent, keyed by
	// category and value (analysis.Identity).
	DerivedIdentities = "derived_identities"
)

// DerivedBuckets lists the derived buckets.
var DerivedBuckets = []string{DerivedMeta, DerivedEndpoints, DerivedDrift, DerivedFigures, DerivedIdentities}

// DerivedTx is a transaction over the derived buckets only: it cannot
// touch a log bucket. Keys and values it returns are copies.
type DerivedTx struct {
	tx *bolt.Tx
}

// DerivedView runs fn in a read transaction over the derived buckets.
// Buckets that do not exist yet read as empty. Only DerivedUpdate writes
// them, so it does not wait for the indexer.
func (s *Store) DerivedView(fn func(*DerivedTx) error) error {
	return s.viewIndexed(func(tx *bolt.Tx) error { return fn(&DerivedTx{tx: tx}) })
}

// DerivedUpdate runs fn in a write transaction over the derived buckets.
// It shares bbolt's one writer with the commit loop, so callers batch. It
// fails with ErrReadOnly on a read-only store.
func (s *Store) DerivedUpdate(fn func(*DerivedTx) error) error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return fn(&DerivedTx{tx: tx}) })
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// DerivedReset deletes every derived bucket, so that they are rebuilt.
func (s *Store) DerivedReset() error {
	return s.DerivedUpdate(func(d *DerivedTx) error {
		for _, name := range DerivedBuckets {
			if d.tx.Bucket([]byte(name)) == nil {
				continue
			}
			if err := d.tx.DeleteBucket([]byte(name)); err != nil {
				return fmt.Errorf("reset %s: %w", name, err)
			}
		}
		return nil
	})
}

func checkDerived(bucket string) error {
	if !slices.Contains(DerivedBuckets, bucket) {
		return fmt.Errorf("%q is not a derived bucket: %w", bucket, ErrInvalid)
	}
	return nil
}

// Get returns a copy of the value under key, or nil.
func (d *DerivedTx) Get(bucket string, key []byte) []byte {
	if checkDerived(bucket) != nil {
		return nil
	}
	b := d.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return bytes.Clone(b.Get(key))
}

// Put stores value under key, creating the bucket on first use.
func (d *DerivedTx) Put(bucket string, key, value []byte) error {
	if err := checkDerived(bucket); err != nil {
		return err
	}
	b, err := d.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return fmt.Errorf("%s: %w", bucket, err)
	}
	return b.Put(key, value)
}

// Scan calls fn with copies of the entries of bucket from key from
// onwards (nil: from the first), in key order, until fn returns false.
func (d *DerivedTx) Scan(bucket string, from []byte, fn func(k, v []byte) bool) error {
	if err := checkDerived(bucket); err != nil {
		return err
	}
	b := d.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	c := b.Cursor()
	k, v := c.First()
	if from != nil {
		k, v = c.Seek(from)
	}
	for ; k != nil; k, v = c.Next() {
		if !fn(bytes.Clone(k), bytes.Clone(v)) {
			return nil
		}
	}
	return nil
}
