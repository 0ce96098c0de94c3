package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/gobin"
	"github.com/telltale/telltale/internal/testtool"
)

func TestDemo_Estate_TwoLicenseServersArchivedAndReviewed(t *testing.T) {
	if gobin.Find("versitygw") == "" {
		testtool.Missing(t, "versitygw not installed: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	}
	data := filepath.Join(t.TempDir(), "demo")
	out, errOut, code := cli(t, "demo", "--estate", "--days", "4", "--exit", "--data", data)
	if code != 0 {
		t.Fatalf("demo --estate: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"License server frankfurt", "License server virginia", "all (frankfurt, virginia)"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo --estate output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "verified") != 2 {
		t.Errorf("want both license servers verified:\n%s", out)
	}
}
