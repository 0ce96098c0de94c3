package owner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/telltale/telltale/store"
)

func lookup(ctx context.Context, client, server netip.AddrPort) store.Process {
	pid, err := tcpOwner(client, server)
	if err != nil {
		return store.Process{Unknown: err.Error()}
	}
	p := store.Process{PID: int(pid)}
	describe(&p)
	if svcs, err := services.of(pid); err == nil {
		p.Services = svcs
	} else {
		p.Unknown = join(p.Unknown, "services: "+err.Error())
	}
	return p
}

// tcpOwner finds the PID in the IPv4 table, then the IPv6 one (where a
// dual-stack socket's IPv4 connections are, as IPv4-mapped addresses).
func tcpOwner(client, server netip.AddrPort) (uint32, error) {
	families := []uint32{windows.AF_INET6}
	if client.Addr().Is4() {
		families = []uint32{windows.AF_INET, windows.AF_INET6}
	}
	for _, af := range families {
		b, err := tcpTable(af)
		if err != nil {
			return 0, err
		}
		rows, err := parseTCPTable(b, af == windows.AF_INET6)
		if err != nil {
			return 0, err
		}
		if pid, ok := tableOwner(rows, client, server); ok {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no connection of this host is %s to %s (the client had closed it)", client, server)
}

var getExtendedTCPTable = windows.NewLazySystemDLL("iphlpapi.dll").NewProc("GetExtendedTcpTable")

// tcpTableOwnerPIDAll is TCP_TABLE_OWNER_PID_ALL (TCP_TABLE_CLASS).
const tcpTableOwnerPIDAll = 5

// tcpTable returns the raw MIB_TCPTABLE_OWNER_PID or
// MIB_TCP6TABLE_OWNER_PID of address family af, growing the buffer while
// connections are added between the calls.
func tcpTable(af uint32) ([]byte, error) {
	size := uint32(16 << 10)
	for range 4 {
		b := make([]byte, size)
		r, _, _ := getExtendedTCPTable.Call(uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&size)),
			0, uintptr(af), tcpTableOwnerPIDAll, 0)
		switch windows.Errno(r) {
		case 0:
			return b[:min(int(size), len(b))], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			size += 4 << 10
			continue
		default:
			return nil, fmt.Errorf("GetExtendedTcpTable: %w", windows.Errno(r))
		}
	}
	return nil, errors.New("GetExtendedTcpTable: the table kept growing")
}

// describe fills in the image, name and user of p.PID.
func describe(p *store.Process) {
	switch p.PID {
	case 4:
		p.Name = "System" // the kernel: no image to query
		return
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(p.PID))
	if err != nil {
		// A protected process (or, without administrator rights,
		// another user's): the snapshot still names its image file.
		p.Name = snapshotName(uint32(p.PID))
		p.Unknown = "open process: " + err.Error()
		return
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err == nil {
		p.Image = windows.UTF16ToString(buf[:n])
		p.Name = filepath.Base(p.Image)
	} else {
		p.Name = snapshotName(uint32(p.PID))
		p.Unknown = join(p.Unknown, "image: "+err.Error())
	}
	if u, err := processUser(h); err == nil {
		p.User = u
	} else {
		p.Unknown = join(p.Unknown, "user: "+err.Error())
	}
}

// snapshotName is the image file name the process snapshot
// (CreateToolhelp32Snapshot) gives pid, which needs no access to the
// process; "" when it is not there.
func snapshotName(pid uint32) string {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return ""
	}
	defer windows.CloseHandle(snap)
	e := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if e.ProcessID == pid {
			return windows.UTF16ToString(e.ExeFile[:])
		}
	}
	return ""
}

// processUser is DOMAIN\name of the user in the process's token.
func processUser(h windows.Handle) (string, error) {
	var tok windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &tok); err != nil {
		return "", err
	}
	defer tok.Close()
	tu, err := tok.GetTokenUser()
	if err != nil {
		return "", err
	}
	account, domain, _, err := tu.User.Sid.LookupAccount("")
	if err != nil {
		return tu.User.Sid.String(), nil
	}
	if domain == "" {
		return account, nil
	}
	return domain + `\` + account, nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// services caches the service control manager's list of running services
// and their processes: services start and stop seldom, connections often.
var services = &serviceList{ttl: 10 * time.Second}

type serviceList struct {
	ttl time.Duration

	mu    sync.Mutex
	read  time.Time
	byPID map[uint32][]string
}

func (s *serviceList) of(pid uint32) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.read) > s.ttl {
		byPID, err := runningServices()
		if err != nil {
			return nil, err
		}
		s.read, s.byPID = time.Now(), byPID
	}
	return s.byPID[pid], nil
}

// runningServices asks the service control manager for every running
// Win32 service and the process hosting it (EnumServicesStatusEx,
// SC_ENUM_PROCESS_INFO).
func runningServices() (map[uint32][]string, error) {
	m, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_ENUMERATE_SERVICE)
	if err != nil {
		return nil, fmt.Errorf("open service control manager: %w", err)
	}
	defer windows.CloseServiceHandle(m)
	size := uint32(64 << 10)
	for range 4 {
		b := make([]byte, size)
		var needed, n, resume uint32
		err := windows.EnumServicesStatusEx(m, windows.SC_ENUM_PROCESS_INFO, windows.SERVICE_WIN32,
			windows.SERVICE_ACTIVE, &b[0], size, &needed, &n, &resume, nil)
		if errors.Is(err, windows.ERROR_MORE_DATA) {
			size = needed + 4<<10
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("EnumServicesStatusEx: %w", err)
		}
		byPID := make(map[uint32][]string)
		for _, s := range unsafe.Slice((*windows.ENUM_SERVICE_STATUS_PROCESS)(unsafe.Pointer(&b[0])), n) {
			pid := s.ServiceStatusProcess.ProcessId
			byPID[pid] = append(byPID[pid], windows.UTF16PtrToString(s.ServiceName))
		}
		for pid := range byPID {
			slices.Sort(byPID[pid])
		}
		return byPID, nil
	}
	return nil, errors.New("EnumServicesStatusEx: the list kept growing")
}
