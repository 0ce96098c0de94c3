package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketMeasurements holds Telltale's own measurements taken beside the
// traffic (package measure: the License Server's WMI license pools).
// They are not captures: no leaf of the log, no record, so adding them
// changes neither the record encoding nor the tree. Created by the first
// PutMeasurement; a store without it has no measurements.
var bucketMeasurements = []byte("measurements")

// Measurement is one measurement: its source (measure.SourceWMI), when
// it was taken and its data (JSON, the source's own shape).
type Measurement struct {
	Source string
	Time   time.Time
	Data   []byte
}

// measurementKey is source ‖ 0 ‖ time in nanoseconds, big-endian, so a
// source's measurements sort by time.
func measurementKey(source string, t time.Time) []byte {
	k := append([]byte(source), 0)
	return binary.BigEndian.AppendUint64(k, uint64(t.UnixNano()))
}

// PutMeasurement stores a measurement, replacing one of the same source
// and time.
func (s *Store) PutMeasurement(m Measurement) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("put measurement: %w", ErrReadOnly)
	}
	if m.Source == "" || bytes.IndexByte([]byte(m.Source), 0) >= 0 || len(m.Data) == 0 || m.Time.Before(time.Unix(0, 0)) || m.Time.After(maxTime) {
		return fmt.Errorf("put measurement: no source, no data or a time out of range: %w", ErrInvalid)
	}
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeasurements)
		if err != nil {
			return err
		}
		return b.Put(measurementKey(m.Source, m.Time), m.Data)
	})
	if err != nil {
		return fmt.Errorf("put measurement: %w", err)
	}
	return nil
}

// Measurements returns a source's measurements, oldest first.
func (s *Store) Measurements(source string) ([]Measurement, error) {
	var out []Measurement
	prefix := append([]byte(source), 0)
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeasurements)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) != len(prefix)+8 {
				continue
			}
			ns := int64(binary.BigEndian.Uint64(k[len(prefix):]))
			out = append(out, Measurement{Source: source, Time: time.Unix(0, ns).UTC(), Data: bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("measurements: %w", err)
	}
	return out, nil
}
