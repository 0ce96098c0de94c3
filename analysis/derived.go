package analysis

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/telltale/telltale/store"
)

// table is one transaction over the derived buckets; *store.DerivedTx is
// one, and so is a memDB's.
type table interface {
	Get(bucket string, key []byte) []byte
	Put(bucket string, key, value []byte) error
	Scan(bucket string, from []byte, fn func(k, v []byte) bool) error
}

var _ table = (*store.DerivedTx)(nil)

// derivedDB keeps derived data: in the store's derived buckets, or in
// memory for a read-only store.
type derivedDB interface {
	read(func(table) error) error
	write(func(table) error) error
	reset() error
}

// Keys of the derived_meta bucket.
var (
	keyCursor = []byte("cursor")
	keyConfig = []byte("config")
)

// openDerived picks where derived data goes: the store's buckets when it
// is writable, else a copy of them in memory.
func openDerived(st *store.Store) (derivedDB, error) {
	err := st.DerivedUpdate(func(*store.DerivedTx) error { return nil })
	if err == nil {
		return storeDB{st}, nil
	}
	if !errors.Is(err, store.ErrReadOnly) {
		return nil, err
	}
	m := newMemDB()
	err = st.DerivedView(func(d *store.DerivedTx) error {
		for _, b := range store.DerivedBuckets {
			if err := d.Scan(b, nil, func(k, v []byte) bool { m.buckets[b][string(k)] = v; return true }); err != nil {
				return err
			}
		}
		return nil
	})
	return m, err
}

// prepare returns the cursor, after throwing derived data away if it was
// made with other rules.
func prepare(db derivedDB, fingerprint string) (uint64, error) {
	var cursor uint64 = 1
	var stale bool
	err := db.read(func(t table) error {
		stale = string(t.Get(store.DerivedMeta, keyConfig)) != fingerprint
		if v := t.Get(store.DerivedMeta, keyCursor); len(v) == 8 {
			cursor = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil || !stale {
		return cursor, err
	}
	if err := db.reset(); err != nil {
		return 0, err
	}
	return 1, db.write(func(t table) error { return t.Put(store.DerivedMeta, keyConfig, []byte(fingerprint)) })
}

type storeDB struct{ st *store.Store }

func (s storeDB) read(fn func(table) error) error {
	return s.st.DerivedView(func(d *store.DerivedTx) error { return fn(d) })
}

func (s storeDB) write(fn func(table) error) error {
	return s.st.DerivedUpdate(func(d *store.DerivedTx) error { return fn(d) })
}

func (s storeDB) reset() error { return s.st.DerivedReset() }

// memDB is derived data in memory. Writes are not transactional, which
// is fine for its one user, the scanning goroutine.
type memDB struct {
	mu      sync.RWMutex
	buckets map[string]map[string][]byte
}

func newMemDB() *memDB {
	m := &memDB{buckets: map[string]map[string][]byte{}}
	for _, b := range store.DerivedBuckets {
		m.buckets[b] = map[string][]byte{}
	}
	return m
}

func (m *memDB) read(fn func(table) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return fn(memTable{m})
}

func (m *memDB) write(fn func(table) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fn(memTable{m})
}

func (m *memDB) reset() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for b := range m.buckets {
		m.buckets[b] = map[string][]byte{}
	}
	return nil
}

type memTable struct{ m *memDB }

func (t memTable) Get(bucket string, key []byte) []byte {
	return bytes.Clone(t.m.buckets[bucket][string(key)])
}

func (t memTable) Put(bucket string, key, value []byte) error {
	t.m.buckets[bucket][string(key)] = bytes.Clone(value)
	return nil
}

func (t memTable) Scan(bucket string, from []byte, fn func(k, v []byte) bool) error {
	b := t.m.buckets[bucket]
	keys := make([]string, 0, len(b))
	for k := range b {
		if k >= string(from) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !fn([]byte(k), bytes.Clone(b[k])) {
			return nil
		}
	}
	return nil
}

// timeKey orders times as bytes, as the store's indexes do: big-endian
// unix nanoseconds with the sign bit flipped.
func timeKey(t time.Time) []byte {
	n := int64(math.MinInt64)
	if !t.IsZero() {
		n = t.UnixNano()
	}
	return binary.BigEndian.AppendUint64(make([]byte, 0, 20), uint64(n)^(1<<63))
}

// eventKey is the key of the n-th drift event or figure of a capture.
func eventKey(t time.Time, seq uint64, n int) []byte {
	k := binary.BigEndian.AppendUint64(timeKey(t), seq)
	return binary.BigEndian.AppendUint32(k, uint32(n))
}

func cursorValue(next uint64) []byte { return binary.BigEndian.AppendUint64(nil, next) }
