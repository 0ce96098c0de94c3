package store

import (
	"strconv"
	"strings"
)

// String names the process as list, show, the report and HAR comments
// do: "curl (pid 4242)", "lmadmin.exe (pid 2212, service Citrix Licensing,
// user NT AUTHORITY\SYSTEM)", or "unknown (why)" when nothing was found.
// A nil Process, a client on another host, is "".
func (p *Process) String() string {
	if p == nil {
		return ""
	}
	name := p.Name
	if name == "" {
		name = "unknown"
	}
	var parts []string
	if p.PID != 0 {
		parts = append(parts, "pid "+strconv.Itoa(p.PID))
	}
	if len(p.Services) > 0 {
		parts = append(parts, "service "+strings.Join(p.Services, ", "))
	}
	if p.User != "" {
		parts = append(parts, "user "+p.User)
	}
	if p.Unknown != "" {
		parts = append(parts, p.Unknown)
	}
	if len(parts) == 0 {
		return name
	}
	return name + " (" + strings.Join(parts, ", ") + ")"
}

// Program names the program without what changes from one run to the
// next (PID, user): "CitrixLicensingTelemetry.exe (service
// CitrixLicensingTelemetry)", "curl", "unknown". The report sums captures
// by it.
func (p *Process) Program() string {
	if p == nil {
		return ""
	}
	name := p.Name
	if name == "" {
		name = "unknown"
	}
	if len(p.Services) > 0 {
		name += " (service " + strings.Join(p.Services, ", ") + ")"
	}
	return name
}

// Short is the list's column: "curl[4242]", "unknown", or "-" for a
// client on another host.
func (p *Process) Short() string {
	switch {
	case p == nil:
		return "-"
	case p.Name == "":
		return "unknown"
	case p.PID == 0:
		return p.Name
	}
	return p.Name + "[" + strconv.Itoa(p.PID) + "]"
}

// Matches reports whether the process answers a "sent by" filter: q, in
// any case, within its name, image path, a service name, the user or its
// PID (in full). A nil Process matches nothing.
func (p *Process) Matches(q string) bool {
	if p == nil || q == "" {
		return p != nil
	}
	if strconv.Itoa(p.PID) == q {
		return true
	}
	q = strings.ToLower(q)
	for _, s := range append([]string{p.Name, p.Image, p.User}, p.Services...) {
		if s != "" && strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// fields lists the process's fields for canonicalize.
func (p *Process) fields() []*string {
	fs := []*string{&p.Name, &p.Image, &p.User, &p.Unknown}
	for i := range p.Services {
		fs = append(fs, &p.Services[i])
	}
	return fs
}
