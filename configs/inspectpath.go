package configs

import (
	"fmt"
	"sort"
	"strings"
)

// Inspect path globs ($.Data.Features[].CountUsedMax, "$**.UTCDate",
// manifest.json:$.Files[]) have no syntax error of their own: every
// character but "*" is literal. A glob that is empty or leaves a bracket
// or quote open can never match a path, so it is refused rather than
// silently matching nothing.

// checkPathGlobs checks a list of globs; key is the list's key.
func checkPathGlobs(key string, globs []string) error {
	for i, g := range globs {
		if err := checkPathGlob(g); err != nil {
			return &KeyError{fmt.Sprintf("%s[%d]", key, i), err.Error()}
		}
	}
	return nil
}

// checkEndpointPaths checks the globs and figure names of one endpoint
// rule; key is "inspect.endpoints[i]".
func checkEndpointPaths(key string, e InspectEndpoint) error {
	if err := checkPathGlobs(key+".volatile", e.Volatile); err != nil {
		return err
	}
	if e.Time != "" {
		if err := checkPathGlob(e.Time); err != nil {
			return &KeyError{key + ".time", err.Error()}
		}
	}
	paths := make([]string, 0, len(e.Keys))
	for p := range e.Keys {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := checkPathGlob(p); err != nil {
			return &KeyError{key + ".keys", err.Error()}
		}
	}
	for j, f := range e.Figures {
		fk := fmt.Sprintf("%s.figures[%d]", key, j)
		if err := checkPathGlob(f.Path); err != nil {
			return &KeyError{fk + ".path", err.Error()}
		}
		if !balanced(f.Name, '{', '}') {
			return &KeyError{fk + ".name", fmt.Sprintf("%q: each { must be closed (example: \"{Id}.CountUsedMax\")", f.Name)}
		}
	}
	return nil
}

// checkPathGlob refuses an empty glob and one with an unclosed "[" or
// quoted name ($["tenant.id"]).
func checkPathGlob(g string) error {
	if strings.TrimSpace(g) == "" {
		return fmt.Errorf("an empty path pattern matches nothing (example: $.Data.Features[].CountUsedMax)")
	}
	open := false
	for i := 0; i < len(g); i++ {
		switch c := g[i]; {
		case c == '[' && i+1 < len(g) && g[i+1] == '"':
			end := strings.Index(g[i+2:], `"]`)
			if end < 0 {
				return fmt.Errorf("%q: a quoted name [\" is not closed with \"]", g)
			}
			i += end + 3
		case c == '[' && open, c == ']' && !open:
			return fmt.Errorf("%q: brackets do not pair up (indexes are [0] or [], names [\"a.b\"])", g)
		case c == '[' || c == ']':
			open = c == '['
		}
	}
	if open {
		return fmt.Errorf("%q: a [ is not closed (indexes are [0] or [], names [\"a.b\"])", g)
	}
	return nil
}

// balanced reports whether every l in s is closed by r before the next l.
func balanced(s string, l, r byte) bool {
	open := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case l:
			if open {
				return false
			}
			open = true
		case r:
			if !open {
				return false
			}
			open = false
		}
	}
	return !open
}
