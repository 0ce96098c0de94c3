package certs

import (
	"errors"
	"slices"
	"testing"
)

func TestPermittedDomains(t *testing.T) {
	for _, tc := range []struct {
		hosts []string
		want  []string
	}{
		{[]string{"las.cloud.com"}, []string{"las.cloud.com"}},
		{[]string{"*.citrixworkspacesapi.net"}, []string{"citrixworkspacesapi.net"}},
		{[]string{"LAS.Cloud.com", "las.cloud.com"}, []string{"las.cloud.com"}},
		{[]string{"las.cloud.com", "*.cloud.com", "a.b.cloud.com"}, []string{"cloud.com"}},
		{[]string{"b.example", "a.example", "x.a.example"}, []string{"a.example", "b.example"}},
		// notcloud.com is not under cloud.com.
		{[]string{"*.cloud.com", "notcloud.com"}, []string{"cloud.com", "notcloud.com"}},
	} {
		got, err := permittedDomains(tc.hosts)
		if err != nil {
			t.Errorf("permittedDomains(%q): %v", tc.hosts, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("permittedDomains(%q) = %q, want %q", tc.hosts, got, tc.want)
		}
	}
}

func TestPermittedDomains_Invalid(t *testing.T) {
	for _, p := range []string{
		"", "*", "*.", ".example.com", "a..b", "example.com.", "a.*.b", "*.*.b", "*foo.example.com",
		"foo*.example.com", "127.0.0.1", "::1", "[::1]", "las.cloud.com:443", "a b.example",
		"*.com", "https://las.cloud.com",
	} {
		_, err := permittedDomains([]string{"ok.example", p})
		if !errors.Is(err, ErrInvalidPattern) {
			t.Errorf("permittedDomains(%q) error = %v, want %v", p, err, ErrInvalidPattern)
		}
	}
}

func TestAuthority_Permits(t *testing.T) {
	a := MustNewAuthority(t, newClock())
	for host, want := range map[string]bool{
		"las.cloud.com":                 true,
		"LAS.Cloud.COM.":                true,
		"sub.las.cloud.com":             true, // dNSName constraints cover subdomains
		"x.citrixworkspacesapi.net":     true,
		"a.b.citrixworkspacesapi.net":   true,
		"citrixworkspacesapi.net":       true,
		"cloud.com":                     false,
		"other.cloud.com":               false,
		"evillas.cloud.com":             false,
		"las.cloud.com.evil.example":    false,
		"xcitrixworkspacesapi.net":      false,
		"evil.example":                  false,
		"127.0.0.1":                     false,
		"::1":                           false,
		"":                              false,
		"*.citrixworkspacesapi.net":     false,
		"las.cloud.com:443":             false,
		"x.citrixworkspacesapi.net/foo": false,
	} {
		if got := a.Permits(host); got != want {
			t.Errorf("Permits(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestAuthority_Uncovered(t *testing.T) {
	a := MustNewAuthority(t, newClock())
	patterns := []string{
		"las.cloud.com",
		"*.citrixworkspacesapi.net",
		"x.citrixworkspacesapi.net",
		"*.x.citrixworkspacesapi.net",
		"*.las.cloud.com",
		"new.example.org", // added to config after the CA was made
		"*.cloud.com",     // wider than what the CA permits
		"a..b",            // malformed: no CA covers it
	}
	got := a.Uncovered(patterns)
	if want := []string{"new.example.org", "*.cloud.com", "a..b"}; !slices.Equal(got, want) {
		t.Errorf("Uncovered = %q, want %q", got, want)
	}
	if got := a.Uncovered(testHosts); got != nil {
		t.Errorf("Uncovered(creation hosts) = %q, want none", got)
	}
}

func TestPermitsSubtree(t *testing.T) {
	for _, tc := range []struct {
		d                   string
		permitted, excluded []string
		want                bool
	}{
		{"x.y", []string{"x.y"}, nil, true},
		{"x.y", []string{".x.y"}, nil, true}, // all subdomains of x.y: exactly "*.x.y"
		{"x.y", []string{"y"}, nil, true},
		{"x.y", []string{".y"}, nil, true},
		{"x.y", []string{"a.x.y"}, nil, false},
		{"x.y", []string{"xx.y"}, nil, false},
		{"x.y", nil, nil, false},
		{"x.y", []string{"y"}, []string{"a.x.y"}, false},
		{"x.y", []string{"y"}, []string{"z.y"}, true},
	} {
		if got := permitsSubtree(tc.d, tc.permitted, tc.excluded); got != tc.want {
			t.Errorf("permitsSubtree(%q, %q, %q) = %v, want %v", tc.d, tc.permitted, tc.excluded, got, tc.want)
		}
	}
}
