package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names; doc.go describes what each holds.
var (
	bucketMeta      = []byte("meta")
	bucketRecords   = []byte("records")
	bucketHashes    = []byte("hashes")
	bucketBodies    = []byte("bodies")
	bucketByTime    = []byte("by_time")
	bucketByHost    = []byte("by_host")
	bucketResponses = []byte("responses")

	allBuckets = [][]byte{bucketMeta, bucketRecords, bucketHashes, bucketBodies,
		bucketByTime, bucketByHost, bucketResponses}
)

// formatVersion is meta/version. Version 1 stores hold only v1 leaves;
// a writable Open moves them to version 2, which adds v2 leaves for new
// records and keeps the v1 leaves (they are in the tree). Open refuses
// any other version.
const (
	formatVersion   = "2"
	formatVersionV1 = "1"
)

var keyVersion = []byte("version")

// init creates the buckets of a new store, checks the format version of
// an existing one and, when writable, moves a version 1 store to 2.
func (s *Store) init() error {
	if s.opts.ReadOnly {
		return s.db.View(checkVersion)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		v := tx.Bucket(bucketMeta).Get(keyVersion)
		if v != nil {
			if err := checkVersion(tx); err != nil || string(v) == formatVersion {
				return err
			}
			s.log.Info().Str("from", string(v)).Str("to", formatVersion).
				Msg("store: format moved on: records so far keep their v1 leaves, new ones get v2 leaves")
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, []byte(formatVersion))
	})
}

func checkVersion(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("not a telltale store: no bucket %q", name)
		}
	}
	if v := string(tx.Bucket(bucketMeta).Get(keyVersion)); v != formatVersion && v != formatVersionV1 {
		return fmt.Errorf("unsupported store format version %q, want %q or %q", v, formatVersionV1, formatVersion)
	}
	return nil
}

// seqKey is the key of a record: its Seq, big-endian.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// Bounds of times that fit in int64 nanoseconds since the epoch.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// timeBytes orders times as bytes: big-endian unix nanoseconds with the
// sign bit flipped, so that times before 1970 sort first.
func timeBytes(t time.Time) []byte {
	switch {
	case t.Before(minTime):
		t = minTime
	case t.After(maxTime):
		t = maxTime
	}
	return binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(t.UnixNano())^(1<<63))
}

// timeKey is the key of an opening record in by_time: time, then Seq.
func timeKey(t time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(timeBytes(t), seq)
}

// hostPrefix is the by_host key prefix of a host: lowercase host, 0x00.
func hostPrefix(host string) []byte {
	return append([]byte(strings.ToLower(host)), 0)
}

// hostKey is the key of an opening record in by_host.
func hostKey(host string, t time.Time, seq uint64) []byte {
	return append(hostPrefix(host), timeKey(t, seq)...)
}

// seqOfIndexKey returns the Seq at the end of a by_time or by_host key.
func seqOfIndexKey(k []byte) uint64 {
	return binary.BigEndian.Uint64(k[len(k)-8:])
}
