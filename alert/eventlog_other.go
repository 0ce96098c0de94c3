//go:build !windows

package alert

import (
	"errors"
	"fmt"
)

// OpenEventLog fails outside Windows, which has no event log: alerts reach
// the log (journald) and the webhook there.
func OpenEventLog(string) (*EventLog, error) {
	return nil, fmt.Errorf("event log: %w", errors.ErrUnsupported)
}
