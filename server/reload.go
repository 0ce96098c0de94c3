package server

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"strings"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/proxy"
)

// Reloading the configuration (SIGHUP on Unix, `sc control Telltale
// paramchange` for the Windows service, POST /-/reload with the admin
// token anywhere) applies the keys below while connections stay up; every
// other key that changed is logged as needing a restart.
var liveKeys = []string{"intercept", "clients", "others", "alerts", "capture.retention", "upstream.allow_local", "licenses"}

// ReloadResult says what a reload did.
type ReloadResult struct {
	Applied       []string `json:"applied"`        // live keys that changed
	RestartNeeded []string `json:"restart_needed"` // other keys that changed
}

// Reload applies next's live keys. It refuses the whole of next when its
// intercept hosts are not covered by the CA.
func (s *Server) Reload(next *configs.Config) (ReloadResult, error) {
	if err := next.Validate(); err != nil {
		return ReloadResult{}, configErr(err)
	}
	if missing := s.CA.Uncovered(next.Intercept.Hosts); len(missing) > 0 {
		return ReloadResult{}, configErr(fmt.Errorf("intercept.hosts adds %s, which the CA does not cover: nothing was applied. "+
			"Run `telltale ca rotate`, trust the new CA, then restart", strings.Join(missing, ", ")))
	}
	s.ops.mu.Lock()
	prev := s.ops.applied
	if prev == nil {
		prev = s.cfg
	}
	s.ops.applied = next
	s.ops.mu.Unlock()

	s.proxy.Reload(proxy.Policy{Intercept: next.Intercept.Hosts, Deny: next.Others == configs.OthersDeny, Allow: next.AllowedClients(),
		AllowLocal: next.Upstream.AllowLocal, Refusal: refusalPolicy(next)})
	s.guard.Reload(next.Upstream.AllowLocal)
	s.ops.reload(next)
	if h := s.review.Load(); h != nil {
		h.SetLicenses(Licenses(next.LicenseSection())) // the position's names and entitlements
	}
	res := ReloadResult{Applied: changedKeys(prev, next, nil), RestartNeeded: changedKeys(s.cfg, next, liveKeys)}
	ev := s.log.Info()
	if len(res.RestartNeeded) > 0 {
		ev = s.log.Warn().Strs("restart_needed", res.RestartNeeded)
	}
	ev.Strs("applied", res.Applied).Msg("configuration reloaded")
	if w := next.ExposedProxy(); w != "" {
		s.log.Warn().Str("component", "serve").Msg(w)
	}
	return res, nil
}

// changedKeys lists the top-level keys (and capture.*) whose values differ,
// leaving out skip.
func changedKeys(a, b *configs.Config, skip []string) []string {
	var out []string
	walkKeys(reflect.ValueOf(*a), reflect.ValueOf(*b), "", func(key string, x, y reflect.Value) {
		for _, s := range skip {
			if key == s {
				return
			}
		}
		if !reflect.DeepEqual(x.Interface(), y.Interface()) {
			out = append(out, key)
		}
	})
	if out == nil {
		out = []string{}
	}
	return out
}

// walkKeys calls fn for every field of two Configs by YAML key, going
// one level into capture, whose retention is live and max_body_bytes not,
// and into upstream, whose allow_local is live.
func walkKeys(a, b reflect.Value, prefix string, fn func(key string, x, y reflect.Value)) {
	t := a.Type()
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		key = prefix + key
		if key == "capture" || key == "upstream" {
			walkKeys(a.Field(i), b.Field(i), key+".", fn)
			continue
		}
		fn(key, a.Field(i), b.Field(i))
	}
}

// liveConfig is the configuration as last reloaded, or as started.
func (s *Server) liveConfig() *configs.Config {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	if s.ops.applied != nil {
		return s.ops.applied
	}
	return s.cfg
}

// ReloadFromSource reads the configuration again with Options.Source and
// applies it (Reload).
func (s *Server) ReloadFromSource() (ReloadResult, error) {
	if s.ops.source == nil {
		return ReloadResult{}, errors.New("this server has no configuration source to reload from")
	}
	next, err := s.ops.source()
	if err != nil {
		return ReloadResult{}, err
	}
	return s.Reload(next)
}

func (s *Server) reloadHTTP(w http.ResponseWriter, _ *http.Request) {
	res, err := s.ReloadFromSource()
	if err != nil {
		s.log.Error().Err(err).Msg("configuration not reloaded")
		writeHealth(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	writeHealth(w, http.StatusOK, res)
}

// WatchReload reloads on the platform's reload signals (SIGHUP) until
// stop.
func (s *Server) WatchReload() (stop func()) {
	if len(reloadSignals) == 0 {
		return func() {}
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, reloadSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ch:
				if _, err := s.ReloadFromSource(); err != nil {
					s.log.Error().Err(err).Msg("configuration not reloaded; the previous one stays in force")
				}
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
