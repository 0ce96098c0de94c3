package server

import (
	"strings"
	"testing"
)

func TestFitConns_LowersToTheLimit(t *testing.T) {
	if n, w := fitConns(1024, 256); n != 96 || !strings.Contains(w, "limits.max_client_conns 1024") || !strings.Contains(w, "at most 96") {
		t.Errorf("1024 connections, 256 files: got %d %q, want 96 and a warning", n, w)
	}
	if n, w := fitConns(1024, 1<<20); n != 1024 || w != "" {
		t.Errorf("1024 connections, 1M files: got %d %q, want 1024 and none", n, w)
	}
	if n, _ := fitConns(1024, 10); n != 1 {
		t.Errorf("1024 connections, 10 files: got %d, want 1", n)
	}
}
