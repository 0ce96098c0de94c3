package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/telltale/telltale/analysis"
)

// EntitlementsFile is where the entitlements entered in the review UI are
// kept, in the data directory: beside the store, not in the config file,
// which serve does not write (a service's config is locked down). The
// config's licenses.entitlements come first; an entered one for the same
// license replaces it.
const EntitlementsFile = "entitlements.json"

// enteredFile is the content of EntitlementsFile.
type enteredFile struct {
	Entitlements []analysis.Entitlement `json:"entitlements"`
	Updated      string                 `json:"updated,omitempty"`
}

// ReadEntitlements reads the entitlements entered in the review UI; a
// missing file holds none.
func ReadEntitlements(path string) ([]analysis.Entitlement, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("entitlements: %w", err)
	}
	var f enteredFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("entitlements: %s: %w", path, err)
	}
	return f.Entitlements, nil
}

// writeEntitlements replaces the file whole: a temporary file beside it,
// synced, renamed over it.
func writeEntitlements(path string, ents []analysis.Entitlement, now time.Time) error {
	b, err := json.MarshalIndent(enteredFile{Entitlements: ents, Updated: now.UTC().Format(time.RFC3339)}, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".entitlements-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err = f.Write(append(b, '\n')); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// MergeEntitlements puts the entered entitlements over the config's: one
// for the same license (its code or name, as written, ignoring case)
// replaces the config's.
func MergeEntitlements(config, entered []analysis.Entitlement) []analysis.Entitlement {
	out := slices.Clone(config)
	for _, e := range entered {
		i := slices.IndexFunc(out, func(c analysis.Entitlement) bool { return strings.EqualFold(c.License, e.License) })
		if i >= 0 {
			out[i] = e
		} else {
			out = append(out, e)
		}
	}
	return out
}

// entitlements keeps the ones entered in the UI; mu orders the writes.
// It also holds the config's catalog and entitlements, which a reload
// replaces (SetLicenses).
type entitlements struct {
	mu   sync.Mutex
	path string // "" when the UI may not enter any

	cmu     sync.RWMutex // guards what follows
	catalog *analysis.Catalog
	config  []analysis.Entitlement
}

// SetLicenses replaces the config's license catalog and entitlements, as
// a reload of the configuration (SIGHUP, POST /-/reload) applies them:
// the position, reconcile and GET /api/entitlements use them from the
// next request on.
func (h *Handler) SetLicenses(cat *analysis.Catalog, ents []analysis.Entitlement) {
	h.ents.cmu.Lock()
	defer h.ents.cmu.Unlock()
	h.ents.catalog, h.ents.config = cat, ents
}

// licenses are the config's catalog and entitlements, as last set.
func (h *Handler) licenses() (*analysis.Catalog, []analysis.Entitlement) {
	h.ents.cmu.RLock()
	defer h.ents.cmu.RUnlock()
	return h.ents.catalog, h.ents.config
}

// catalog is the config's license catalog, as last set.
func (h *Handler) catalog() *analysis.Catalog {
	cat, _ := h.licenses()
	return cat
}

// entitlementsAnswer is GET /api/entitlements.
type entitlementsAnswer struct {
	// Config are licenses.entitlements of the config; Entered those
	// entered in the UI; Effective what the position uses.
	Config    []analysis.Entitlement `json:"config"`
	Entered   []analysis.Entitlement `json:"entered"`
	Effective []analysis.Entitlement `json:"effective"`
	// Where says where entered ones are kept; "" when they cannot be.
	Where string `json:"where"`
}

// effectiveEntitlements are the config's with the entered ones over them.
func (h *Handler) effectiveEntitlements() ([]analysis.Entitlement, error) {
	_, config := h.licenses()
	if h.ents.path == "" {
		return config, nil
	}
	entered, err := ReadEntitlements(h.ents.path)
	return MergeEntitlements(config, entered), err
}

// getEntitlements is GET /api/entitlements.
func (h *Handler) getEntitlements(w http.ResponseWriter, _ *http.Request) {
	_, config := h.licenses()
	ans := entitlementsAnswer{Config: orEmpty(config), Entered: []analysis.Entitlement{}, Where: h.ents.path}
	if h.ents.path != "" {
		entered, err := ReadEntitlements(h.ents.path)
		if err != nil {
			h.answer(w, nil, err)
			return
		}
		ans.Entered = orEmpty(entered)
	}
	ans.Effective = orEmpty(MergeEntitlements(ans.Config, ans.Entered))
	writeJSON(w, ans)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// putEntitlements is PUT /api/entitlements {"entitlements": [...]}: the
// whole list of entered entitlements, replacing the previous one.
func (h *Handler) putEntitlements(w http.ResponseWriter, r *http.Request) {
	if h.ents.path == "" {
		writeCodedError(w, http.StatusConflict, codeBadInput, "this server keeps no entered entitlements: put them in the config's licenses.entitlements")
		return
	}
	var in enteredFile
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeCodedError(w, http.StatusBadRequest, codeBadInput, `want {"entitlements": [{"license": "XDT_PLT_UD", "quantity": 300, "overdraft": 30, "end_date": "2027-03-31"}]}`)
		return
	}
	for i, e := range in.Entitlements {
		if err := checkEntitlement(e); err != nil {
			writeCodedError(w, http.StatusBadRequest, codeBadInput, fmt.Sprintf("entitlement %d: %v", i+1, err))
			return
		}
		in.Entitlements[i].License = strings.TrimSpace(e.License)
		in.Entitlements[i].From = "entered in the review UI"
	}
	h.ents.mu.Lock()
	defer h.ents.mu.Unlock()
	if err := writeEntitlements(h.ents.path, in.Entitlements, h.exports.now()); err != nil {
		h.answer(w, nil, fmt.Errorf("entitlements: %w", err))
		return
	}
	h.getEntitlements(w, r)
}

// checkEntitlement says what is wrong with an entered entitlement.
func checkEntitlement(e analysis.Entitlement) error {
	if strings.TrimSpace(e.License) == "" || len(e.License) > 200 {
		return errors.New("license is required: a feature code such as XDT_PLT_UD, or its name")
	}
	if e.Quantity < 0 || e.Overdraft < 0 || e.Quantity > 1e9 || e.Overdraft > 1e9 {
		return errors.New("quantity and overdraft are counts of licenses")
	}
	if e.EndDate != "" {
		if _, err := time.Parse(time.DateOnly, e.EndDate); err != nil {
			return fmt.Errorf("end date %q: want YYYY-MM-DD", e.EndDate)
		}
	}
	return nil
}
