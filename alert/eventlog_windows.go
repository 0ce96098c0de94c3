//go:build windows

package alert

import (
	"fmt"

	"golang.org/x/sys/windows/svc/eventlog"
)

// OpenEventLog opens the Application event log for source, which
// `telltale service install` registers (with EventCreate.exe as its
// message file, which takes IDs 1 to 1000).
func OpenEventLog(source string) (*EventLog, error) {
	l, err := eventlog.Open(source)
	if err != nil {
		return nil, fmt.Errorf("event log: %w", err)
	}
	return &EventLog{w: l}, nil
}
