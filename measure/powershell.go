package measure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Query is the PowerShell that reads the License Server's pools. It
// selects the four properties so that the JSON stays small and the same
// on every version (a class without Overdraft gives null for it).
const Query = `Get-CimInstance -Namespace root\CitrixLicensing -ClassName Citrix_GT_License_Pool -ErrorAction Stop | ` +
	`Select-Object PLD,Count,InUseCount,Overdraft | ConvertTo-Json -Compress`

// PowerShell samples the pools by running Query in powershell.exe.
// Telltale is built without cgo, so a COM/WMI binding (go-ole) would be
// a second, unsafe-heavy dependency to maintain for one query a quarter
// of an hour; Get-CimInstance is on every supported Windows Server, is
// what the administrators' own scripts run, and a hung WMI provider
// (the Citrix Licensing WMI service is known to stall after upgrades)
// costs a killed child process, not a stuck goroutine.
type PowerShell struct {
	// Path is the PowerShell to run; "" is powershell.exe on the PATH.
	Path string
	// Timeout bounds one sample; 0 is one minute.
	Timeout time.Duration
	// Now is the clock the samples are dated by; nil is time.Now.
	Now func() time.Time
}

var _ Sampler = PowerShell{}

// Sample runs the query once.
func (p PowerShell) Sample(ctx context.Context) ([]Sample, error) {
	path, timeout, now := p.Path, p.Timeout, p.Now
	if path == "" {
		path = "powershell.exe"
	}
	if timeout <= 0 {
		timeout = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := now()
	cmd := exec.CommandContext(ctx, path, "-NoProfile", "-NonInteractive", "-Command", Query)
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("wmi sample: no answer from %s within %s", path, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("wmi sample: %s: %w: %s", path, err, firstLine(stderr.String()))
	}
	return ParseCIM(out, t)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
