package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/inspect"
)

// Options configure an Analyzer. The zero value decodes with inspect's
// limits, has no endpoint rules (arrays matched by evident keys, nothing
// volatile, no figures) and logs nothing.
type Options struct {
	// Rules are per-endpoint settings; the first whose Endpoint matches a
	// capture applies to it.
	Rules []Rule
	// Volatile are path patterns (inspect.DiffOptions.Volatile) volatile
	// on every endpoint, on top of a rule's own.
	Volatile []string
	// VolatileHeaders are header names (any case) whose changes are
	// volatile when headers are compared.
	VolatileHeaders []string
	// Templates are path templates tried before Template's generic rule,
	// e.g. "/support/{ccid}/{product}/listls".
	Templates Templates
	// HeuristicFigures reports inspect.Figures (numbers whose names look
	// like counts) for endpoints whose rule has no figure extractors.
	HeuristicFigures bool
	// Decode bounds decoding (inspect.Options); zero fields are inspect's
	// defaults.
	Decode inspect.Options

	// Logger gets drift at warn level and the worker's errors.
	Logger zerolog.Logger
	// Now is the clock that decides when an unfinished capture is given
	// up; nil means time.Now.
	Now func() time.Time
	// OnDrift, when set, is called by the worker with the drift events of
	// each capture analysed live (not during catch-up), e.g. for alerts,
	// and reports them: the worker then logs them at debug level only.
	// It runs on the worker goroutine: keep it cheap.
	OnDrift func([]DriftEvent)
	// OnPlainUsers, when set, is called by the worker for each capture
	// analysed live that sent user@domain names in clear (Citrix's
	// username anonymisation is off), e.g. for an alert. It runs on the
	// worker goroutine.
	OnPlainUsers func(PlainUsers)
	// StaleAfter is how long the worker waits for a capture's response
	// before it skips the capture; 0 means 10 minutes.
	StaleAfter time.Duration
	// Batch is how many captures one derived-data write transaction
	// holds; 0 means 64.
	Batch int
	// MaxBody, when positive, leaves bodies with more stored bytes
	// undecoded (with a note): serve sets it so that one large upload
	// cannot make the background analysis hold it, and its decoded
	// form, in memory.
	MaxBody int64
	// Settle is the least time between two scans of a serving worker, so
	// that busy traffic is analysed in batches; 0 means 250ms.
	Settle time.Duration
}

// Rule is what Telltale knows about one endpoint's payloads.
type Rule struct {
	// Endpoint selects captures by "METHOD HOST TEMPLATE", each part a
	// path.Match glob: "POST cis.citrix.com /api/upload/LicenseServerCompliance",
	// "* las.* /{ccid}/licenseserver/activation/renew".
	Endpoint string `json:"endpoint"`
	// Name is what an analyst calls the endpoint ("Compliance upload");
	// "" leaves it to the endpoint's key.
	Name string `json:"name,omitempty"`
	// Keys map an array's path pattern to the member that identifies its
	// elements (inspect.DiffOptions.Keys); "[]" matches by position, "{}"
	// as a set. Device and user lists are sets unless a key says
	// otherwise (defaultSets).
	Keys map[string]string `json:"keys,omitempty"`
	// Volatile are path patterns expected to change every time.
	Volatile []string `json:"volatile,omitempty"`
	// Time is a path pattern of the time a transmission reports (RFC
	// 3339, or epoch seconds or milliseconds; the latest if it matches
	// several), which dates its figures; "" or absent: the capture's time.
	Time string `json:"time,omitempty"`
	// UsageDay says which day the figures describe, which may not be the
	// day they were sent: "" the UTC date of Time; a shift such as "-1d"
	// (a compliance upload sent on 2 June reports the usage of 1 June); or
	// a path pattern, whose earliest time gives the day (a usage bundle's
	// first EventStart).
	UsageDay string `json:"usage_day,omitempty"`
	// Figures extract the numbers the transmission reports.
	Figures []Extractor `json:"figures,omitempty"`
}

// Extractor pulls one figure out of a transmission.
type Extractor struct {
	// Path is a path pattern: "*" within one segment, "**" across
	// segments, "[]" (or "[*]") any index; a pattern starting with "$"
	// and without ":" also matches inside nested documents.
	Path string `json:"path"`
	// Name names the figure; "{Key}" is replaced by the value of member
	// Key of the nearest enclosing object that has one, so
	// "{Id}.CountUsedMax" gives "CAG_AAC_CCU.CountUsedMax".
	Name string `json:"name"`
	// Unit is what the figure counts: licenses, users, devices; "" for
	// a text such as a version.
	Unit string `json:"unit,omitempty"`
	// Label says what the number is in a sentence ("in use"), for the
	// licensing summary of a diff; "" uses the figure's own name.
	Label string `json:"label,omitempty"`
	// Count reports the number of elements of the array at Path instead
	// of a value.
	Count bool `json:"count,omitempty"`
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) staleAfter() time.Duration {
	if o.StaleAfter > 0 {
		return o.StaleAfter
	}
	return 10 * time.Minute
}

func (o Options) settle() time.Duration {
	if o.Settle > 0 {
		return o.Settle
	}
	return 250 * time.Millisecond
}

func (o Options) batch() int {
	if o.Batch > 0 {
		return o.Batch
	}
	return 64
}

// fingerprint identifies what derived data depends on; stored data made
// with another one is rebuilt.
func (o Options) fingerprint() string {
	b, _ := json.Marshal(struct {
		V         int
		Rules     []Rule
		Volatile  []string
		Templates Templates
		Heuristic bool
		Decode    inspect.Options
	}{derivedVersion, o.Rules, o.Volatile, o.Templates, o.HeuristicFigures, o.Decode})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// derivedVersion changes when what the analyzer derives changes shape.
const derivedVersion = 3

// defaultSets are the device and user lists a diff compares as sets, never
// by position: who is in the list matters, not where.
var defaultSets = []string{
	"$**.CCUDevices", "$**.ccuDevices", "$**.Devices", "$**.devices",
	"$**.Users", "$**.users", "$**.UserList", "$**.userList",
}

// positionKey is a member name no payload uses: inspect pairs elements
// that lack the configured key in order, which is matching by position.
const positionKey = "\x00position"

// compiledRule is a Rule ready to apply.
type compiledRule struct {
	Rule
	method, host, tmpl string
	figures            []compiledExtractor
}

type compiledExtractor struct {
	Extractor
	pat *glob
}

func compileRules(rules []Rule) []*compiledRule {
	out := make([]*compiledRule, 0, len(rules))
	for _, r := range rules {
		c := &compiledRule{Rule: r}
		c.method, c.host, c.tmpl = splitEndpointGlob(r.Endpoint)
		for _, x := range r.Figures {
			c.figures = append(c.figures, compiledExtractor{x, compileGlob(x.Path)})
		}
		out = append(out, c)
	}
	return out
}

// splitEndpointGlob splits "METHOD HOST TEMPLATE"; missing parts are "*".
func splitEndpointGlob(s string) (method, host, tmpl string) {
	f := strings.Fields(s)
	for len(f) < 3 {
		f = append([]string{"*"}, f...)
	}
	return f[0], f[1], f[2]
}

// CheckRule reports what is wrong with a rule, for configuration errors.
func CheckRule(r Rule) error {
	if n := len(strings.Fields(r.Endpoint)); n != 3 {
		return errf("endpoint %q: want METHOD HOST /path/template, e.g. %q", r.Endpoint, "POST cis.citrix.com /api/upload/LicenseServerCompliance")
	}
	for _, p := range strings.Fields(r.Endpoint) {
		if _, err := path.Match(p, ""); err != nil {
			return errf("endpoint %q: bad pattern %q", r.Endpoint, p)
		}
	}
	if err := CheckUsageDay(r.UsageDay); err != nil {
		return err
	}
	for i, x := range r.Figures {
		if x.Path == "" || x.Name == "" {
			return errf("figures[%d]: path and name are required", i)
		}
	}
	return nil
}

func (c *compiledRule) matches(e Endpoint) bool {
	return globMatch(strings.ToUpper(c.method), e.Method) && globMatch(strings.ToLower(c.host), e.Host) && globMatch(c.tmpl, e.Template)
}

func globMatch(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// diffOptions are the inspect options of a rule (nil: no rule).
func (a *Analyzer) diffOptions(r *compiledRule) inspect.DiffOptions {
	d := inspect.DiffOptions{Volatile: append([]string(nil), a.opts.Volatile...), Keys: map[string]string{}}
	for _, p := range defaultSets {
		d.Keys[p] = inspect.SetKey
	}
	if r == nil {
		return d
	}
	d.Volatile = append(d.Volatile, r.Volatile...)
	for p, k := range r.Keys {
		switch k {
		case "[]":
			k = positionKey
		case "{}":
			k = inspect.SetKey
		}
		d.Keys[p] = k
	}
	return d
}

// rule returns the first rule matching e, or nil.
func (a *Analyzer) rule(e Endpoint) *compiledRule {
	for _, r := range a.rules {
		if r.matches(e) {
			return r
		}
	}
	return nil
}
