package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Opening is a record that opens a capture (request, tunnel, denied), as
// the capture index of package evidence sees it.
type Opening struct {
	Seq  uint64
	Time int64 // IndexNanos of the record's Time
}

// IndexNanos is a record time as the by_time and by_host indexes order
// it, and List's Since and Until compare it: unix nanoseconds, clamped to
// what int64 holds.
func IndexNanos(t time.Time) int64 {
	return int64(binary.BigEndian.Uint64(timeBytes(t)) ^ (1 << 63))
}

// HostOpenings calls fn once per host of the first size records (the
// lowercase host; hosts in no promised order), with that host's openings
// by Seq. Opening
// records without a Host come under "". It reads one snapshot of the
// indexes (CheckIndexes, which Verify runs, checks them against the
// records).
func (s *Store) HostOpenings(size uint64, fn func(host string, o []Opening) error) error {
	err := s.view(func(tx *bolt.Tx) error {
		hosted, err := hostOpenings(tx, size, fn)
		if err != nil {
			return err
		}
		return hostless(tx, size, hosted, fn)
	})
	if err != nil {
		return fmt.Errorf("host openings: %w", err)
	}
	return nil
}

// hostOpenings walks by_host, one host at a time, and returns how many
// openings it passed to fn.
func hostOpenings(tx *bolt.Tx, size uint64, fn func(string, []Opening) error) (int, error) {
	var host []byte
	var list []Opening
	n := 0
	flush := func() error {
		if len(list) == 0 {
			return nil
		}
		slices.SortFunc(list, func(a, b Opening) int { return cmp.Compare(a.Seq, b.Seq) })
		n += len(list)
		err := fn(string(host), list)
		list = list[:0]
		return err
	}
	c := tx.Bucket(bucketByHost).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < 17 || k[len(k)-17] != 0 {
			continue // not a key the store writes; CheckIndexes reports it
		}
		h := k[:len(k)-17]
		if !bytes.Equal(h, host) {
			if err := flush(); err != nil {
				return 0, err
			}
			host = bytes.Clone(h)
		}
		if seq := seqOfIndexKey(k); seq <= size {
			list = append(list, Opening{Seq: seq, Time: int64(binary.BigEndian.Uint64(k[len(k)-16:]) ^ (1 << 63))})
		}
	}
	return n, flush()
}

// hostless passes the openings without a Host under "", when by_time holds
// more openings of the first size records than by_host did.
func hostless(tx *bolt.Tx, size uint64, hosted int, fn func(string, []Opening) error) error {
	var all []Opening
	c := tx.Bucket(bucketByTime).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) == 16 && seqOfIndexKey(k) <= size {
			all = append(all, Opening{Seq: seqOfIndexKey(k), Time: int64(binary.BigEndian.Uint64(k) ^ (1 << 63))})
		}
	}
	if len(all) == hosted {
		return nil
	}
	var list []Opening
	records := tx.Bucket(bucketRecords)
	for _, o := range all {
		r, err := skimRecord(records.Get(seqKey(o.Seq)))
		if err == nil && r.Host == "" {
			list = append(list, o)
		}
	}
	if len(list) == 0 {
		return nil
	}
	slices.SortFunc(list, func(a, b Opening) int { return cmp.Compare(a.Seq, b.Seq) })
	return fn("", list)
}
