package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/telltale/telltale/store"
)

// Query selects drift events or figures. Zero fields select everything.
type Query struct {
	Since time.Time // at or after: capture time for drift, Point.Time for figures
	Until time.Time // before
	// Name selects figures by name: exact, or a path.Match glob such as
	// "*.CountUsedMax".
	Name string
	// Host selects one host (any case).
	Host string
}

func (q Query) inRange(k []byte) (ok, done bool) {
	if !q.Until.IsZero() && bytes.Compare(k[:8], timeKey(q.Until)) >= 0 {
		return false, true
	}
	return true, false
}

func (q Query) from() []byte {
	if q.Since.IsZero() {
		return nil
	}
	return timeKey(q.Since)
}

// Drift lists the drift events q selects, oldest first.
func (a *Analyzer) Drift(q Query) ([]DriftEvent, error) {
	out := []DriftEvent{}
	err := a.scanBucket(store.DerivedDrift, q, func(v []byte) error {
		var d DriftEvent
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		if q.Host == "" || strings.EqualFold(endpointHost(d.Endpoint), q.Host) {
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Figures lists the figure points q selects, ordered by the time they
// are for.
func (a *Analyzer) Figures(q Query) ([]Point, error) {
	out := []Point{}
	err := a.scanBucket(store.DerivedFigures, q, func(v []byte) error {
		var p Point
		d := json.NewDecoder(bytes.NewReader(v))
		if err := d.Decode(&p); err != nil {
			return err
		}
		if q.Name != "" && p.Name != q.Name && !globMatch(q.Name, p.Name) {
			return nil
		}
		if q.Host == "" || strings.EqualFold(endpointHost(p.Endpoint), q.Host) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func endpointHost(key string) string {
	e, _ := ParseEndpoint(key)
	return e.Host
}

func (a *Analyzer) scanBucket(bucket string, q Query, fn func(v []byte) error) error {
	if q.Name != "" {
		if _, err := path.Match(q.Name, ""); err != nil {
			return errf("name %q: bad pattern", q.Name)
		}
	}
	if err := a.ready(); err != nil {
		return err
	}
	return a.db.read(func(t table) error {
		var ferr error
		err := t.Scan(bucket, q.from(), func(k, v []byte) bool {
			if ok, done := q.inRange(k); done || !ok {
				return !done
			}
			if ferr = fn(v); ferr != nil {
				ferr = fmt.Errorf("%s: %w", bucket, ferr)
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
		return ferr
	})
}

// Endpoints lists the endpoints seen, by key.
func (a *Analyzer) Endpoints() ([]EndpointInfo, error) {
	if err := a.ready(); err != nil {
		return nil, err
	}
	out := []EndpointInfo{}
	err := a.db.read(func(t table) error {
		return t.Scan(store.DerivedEndpoints, nil, func(k, v []byte) bool {
			var e EndpointInfo
			if json.Unmarshal(v, &e) == nil {
				out = append(out, e)
			}
			return true
		})
	})
	slices.SortFunc(out, func(x, y EndpointInfo) int { return strings.Compare(x.Endpoint, y.Endpoint) })
	return out, err
}
