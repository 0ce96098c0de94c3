package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestServe_PlainUserNames_Alert: an upload that sends a user@domain name
// in clear raises the plain_user_names alert (username anonymisation is
// off); one that sends it hashed does not.
func TestServe_PlainUserNames_Alert(t *testing.T) {
	v := newVendor(t)
	hook := newWebhook(t)
	cfg, data := writeOpsConfig(t, v, "alerts:\n  webhook: "+hook.URL+"\n")
	allowLocal(t, cfg, hook.URL)
	addr := startServe(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://cis.citrix.com/upload", "a", `{"users":[{"upn":"3OF8m4ZF9fbKtMiaXRhlKA=="}]}`)
	post(t, c, "https://cis.citrix.com/upload", "b", `{"users":[{"upn":"ann.lee@corp.example.com"}]}`)
	waitComplete(t, 2, "--data", data)
	a := hook.wait(t, "plain_user_names")
	if a["host"] != "cis.citrix.com" || !strings.Contains(fmt.Sprint(a["summary"]), "user@domain") || !strings.Contains(fmt.Sprint(a["detail"]), "ann.lee@corp.example.com") {
		t.Errorf("alert: got %v", a)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	n := 0
	for _, x := range hook.alerts {
		if x["kind"] == "plain_user_names" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d plain_user_names alerts, want 1 (the hashed upload raises none)", n)
	}
}
