package measure

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/store"
)

// SourceWMI is the store's name for the WMI samples
// (store.Measurement.Source).
const SourceWMI = "wmi"

// Putter is where samples are kept: a *store.Store.
type Putter interface {
	PutMeasurement(store.Measurement) error
}

// Keep stores samples, one measurement per sampling time (all the pools
// sampled then, as JSON); keeping the same time again replaces it, so a
// replayed recording is kept once.
func Keep(p Putter, ss []Sample) error {
	byTime := map[time.Time][]Sample{}
	var times []time.Time
	for _, s := range ss {
		t := s.Time.UTC()
		if _, ok := byTime[t]; !ok {
			times = append(times, t)
		}
		byTime[t] = append(byTime[t], s)
	}
	slices.SortFunc(times, time.Time.Compare)
	for _, t := range times {
		b, err := json.Marshal(byTime[t])
		if err != nil {
			return err
		}
		if err := p.PutMeasurement(store.Measurement{Source: SourceWMI, Time: t, Data: b}); err != nil {
			return err
		}
	}
	return nil
}

// Loader reads what was kept: a *store.Store.
type Loader interface {
	Measurements(source string) ([]store.Measurement, error)
}

// Load returns every kept sample, oldest first.
func Load(l Loader) ([]Sample, error) {
	ms, err := l.Measurements(SourceWMI)
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, m := range ms {
		var ss []Sample
		if err := json.Unmarshal(m.Data, &ss); err != nil {
			return nil, fmt.Errorf("wmi samples of %s: %w", m.Time.Format(time.RFC3339), err)
		}
		out = append(out, ss...)
	}
	return out, nil
}

// Loop samples every Interval and keeps what it gets; a failed sample
// is logged and tried again at the next tick (capture goes on).
type Loop struct {
	Sampler  Sampler
	Interval time.Duration
	Store    Putter
	Log      zerolog.Logger
}

// Run samples at once, then every Interval, until ctx ends.
func (l Loop) Run(ctx context.Context) {
	t := time.NewTicker(l.Interval)
	defer t.Stop()
	for {
		l.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l Loop) once(ctx context.Context) {
	ss, err := l.Sampler.Sample(ctx)
	if err == nil {
		err = Keep(l.Store, ss)
	}
	if err != nil {
		if ctx.Err() == nil {
			l.Log.Warn().Err(err).Str("component", "measure").Msg("measure: WMI sample not taken; trying again at the next interval")
		}
		return
	}
	l.Log.Debug().Str("component", "measure").Int("pools", len(ss)).Msg("measure: WMI sample kept")
}
