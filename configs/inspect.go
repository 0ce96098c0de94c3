package configs

import (
	"fmt"
	"path"
	"strings"
)

// Inspect configures how captures are decoded, compared and learnt from
// (telltale diff, drift, figures, reconcile; package analysis).
type Inspect struct {
	// MaxDecodedBytes bounds the bytes one body may decompress and decode
	// to (inspect.Options.MaxTotal), and so the memory analysing it takes;
	// 0 means inspect's default, 256 MiB.
	MaxDecodedBytes int64 `yaml:"max_decoded_bytes"`
	// MaxAnalysedBytes is the largest stored body serve's background
	// analysis decodes (drift, figures); larger ones are noted and left to
	// `telltale diff`. It bounds serve's memory under large uploads.
	MaxAnalysedBytes int64 `yaml:"max_analysed_bytes"`
	// HeuristicFigures reports numbers whose names look like counts as
	// figures for endpoints that list no figures of their own.
	HeuristicFigures bool `yaml:"heuristic_figures"`
	// Templates are URL path templates ("/support/{ccid}/{product}/listls")
	// tried before the generic rule that makes one endpoint of a path.
	Templates []string `yaml:"templates"`
	// Volatile are path patterns expected to change on every transmission
	// of every endpoint: their changes are shown as volatile and not counted.
	Volatile []string `yaml:"volatile"`
	// VolatileHeaders are header names whose changes are volatile.
	VolatileHeaders []string `yaml:"volatile_headers"`
	// Endpoints are per-endpoint rules; the first that matches applies.
	Endpoints []InspectEndpoint `yaml:"endpoints"`
	// Licenses is the old place of the top-level licenses section
	// (licenses.go), still read when that one is empty.
	Licenses Licenses `yaml:"licenses"`
}

// InspectEndpoint is what Telltale knows about one endpoint's payloads.
type InspectEndpoint struct {
	// Endpoint is "METHOD HOST /path/template", each part a glob.
	Endpoint string `yaml:"endpoint"`
	// Name is what an analyst calls the endpoint ("Compliance upload"),
	// shown in the review UI's lists, headings and diffs.
	Name string `yaml:"name"`
	// Time is the path of the time the payload says it is for; it dates
	// the figures.
	Time string `yaml:"time"`
	// UsageDay says which day the figures describe: "" the day of Time,
	// a shift such as "-1d" (a compliance upload sent on 2 June reports
	// the usage of 1 June), or a path whose earliest time gives the day
	// ("manifest.json:$.Files[].EventStart").
	UsageDay string `yaml:"usage_day"`
	// Keys map an array's path to the member that identifies its
	// elements; "[]" matches them by position.
	Keys map[string]string `yaml:"keys"`
	// Volatile are path patterns expected to change every time.
	Volatile []string `yaml:"volatile"`
	// Figures are the figures the payload reports.
	Figures []InspectFigure `yaml:"figures"`
}

// InspectFigure extracts one figure.
type InspectFigure struct {
	Path  string `yaml:"path"`
	Name  string `yaml:"name"`
	Unit  string `yaml:"unit"`
	Count bool   `yaml:"count"`
	// Label says what the number is in a sentence ("in use"), for the
	// summary of a diff.
	Label string `yaml:"label"`
}

func (c *Config) checkInspect() error {
	if err := c.checkLicenses(); err != nil {
		return err
	}
	if c.Inspect.MaxAnalysedBytes <= 0 {
		return &KeyError{"inspect.max_analysed_bytes", "must be a positive number of bytes (default 16MiB)"}
	}
	if c.Inspect.MaxDecodedBytes < 0 {
		return &KeyError{"inspect.max_decoded_bytes", "must be 0 (the default, 256 MiB) or a positive number of bytes"}
	}
	for i, t := range c.Inspect.Templates {
		if !strings.HasPrefix(t, "/") || !balanced(t, '{', '}') {
			return &KeyError{fmt.Sprintf("inspect.templates[%d]", i), fmt.Sprintf("%q: a path template starts with / and closes each { (example: /support/{ccid}/{product}/listls)", t)}
		}
	}
	if err := checkPathGlobs("inspect.volatile", c.Inspect.Volatile); err != nil {
		return err
	}
	for i, e := range c.Inspect.Endpoints {
		key := fmt.Sprintf("inspect.endpoints[%d]", i)
		if err := checkEndpointGlob(e.Endpoint); err != nil {
			return &KeyError{key + ".endpoint", err.Error()}
		}
		if err := checkEndpointPaths(key, e); err != nil {
			return err
		}
		if !validUsageDay(e.UsageDay) {
			return &KeyError{key + ".usage_day", fmt.Sprintf("%q: want a shift of the reported day such as \"-1d\", or a path such as \"manifest.json:$.Files[].EventStart\"", e.UsageDay)}
		}
		for j, f := range e.Figures {
			if strings.TrimSpace(f.Path) == "" || strings.TrimSpace(f.Name) == "" {
				return &KeyError{fmt.Sprintf("%s.figures[%d]", key, j), "path and name are required (example: {path: \"$.Data.Features[].CountUsedMax\", name: \"{Id}.CountUsedMax\"})"}
			}
		}
		for p, k := range e.Keys {
			if strings.TrimSpace(p) == "" || strings.TrimSpace(k) == "" {
				return &KeyError{key + ".keys", "each entry maps an array's path to a member name, or to \"[]\" for by position"}
			}
		}
	}
	return nil
}

func checkEndpointGlob(s string) error {
	f := strings.Fields(s)
	if len(f) != 3 {
		return fmt.Errorf("%q: want METHOD HOST /path/template, each may be a glob (example: \"POST cis.citrix.com /api/upload/LicenseServerCompliance\")", s)
	}
	for _, p := range f {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("%q: bad pattern %q", s, p)
		}
	}
	if !strings.HasPrefix(f[2], "/") && !strings.HasPrefix(f[2], "*") {
		return fmt.Errorf("%q: the path template starts with / or *", s)
	}
	return nil
}

// validUsageDay accepts "", a shift in days ("-1d", "+0d") or a path
// pattern (analysis.Rule.UsageDay).
func validUsageDay(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "$") || strings.Contains(s, ":$") {
		return true
	}
	n, ok := strings.CutSuffix(s, "d")
	n = strings.TrimLeft(n, "+-")
	if !ok || n == "" || len(n) > 3 {
		return false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
