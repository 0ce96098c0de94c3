package configs

import (
	"errors"
	"testing"
	"time"
)

// clients.sent_by_wait bounds the sender lookup: 100ms by default, 0s
// turns it off, and a negative or a long wait is refused by name.
func TestClients_SentByWait(t *testing.T) {
	c, err := Parse(nil)
	if err != nil || time.Duration(c.Clients.SentByWait) != 100*time.Millisecond {
		t.Fatalf("default: got %v, %v, want 100ms", c.Clients.SentByWait, err)
	}
	for in, ok := range map[string]bool{"0s": true, "250ms": true, "5s": true, "5001ms": false, "-1s": false} {
		_, err := Parse([]byte("clients:\n  allow: [127.0.0.1]\n  sent_by_wait: " + in + "\n"))
		var ke *KeyError
		if ok != (err == nil) || (!ok && (!errors.As(err, &ke) || ke.Key != "clients.sent_by_wait")) {
			t.Errorf("sent_by_wait %s: got %v, want ok %v (else a KeyError naming it)", in, err, ok)
		}
	}
}
