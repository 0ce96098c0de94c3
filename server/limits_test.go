package server

import (
	"strings"
	"testing"
)

func TestFDWarning_NamesTheKeyWhenTheLimitIsTooLow(t *testing.T) {
	if w := fdWarning(1024, 256); !strings.Contains(w, "limits.max_client_conns") || !strings.Contains(w, "to 96") {
		t.Errorf("1024 connections, 256 files: got %q, want a warning suggesting 96", w)
	}
	if w := fdWarning(1024, 1<<20); w != "" {
		t.Errorf("1024 connections, 1M files: got %q, want none", w)
	}
}
