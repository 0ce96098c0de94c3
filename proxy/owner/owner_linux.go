package owner

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/telltale/telltale/store"
)

// proc is where the kernel's process file system is mounted; tests read
// the real one.
const proc = "/proc"

func lookup(ctx context.Context, client, server netip.AddrPort) store.Process {
	sock, err := procSocketOf(client, server)
	if err != nil {
		return store.Process{Unknown: err.Error()}
	}
	p := store.Process{User: userName(sock.uid)}
	if sock.inode == 0 {
		p.Unknown = "the client had closed its end of the connection (no socket holds it)"
		return p
	}
	pid, err := holderOf(ctx, sock.inode)
	if err != nil {
		p.Unknown = err.Error()
		return p
	}
	p.PID = pid
	describe(&p)
	return p
}

// procSocketOf finds the client's socket through sock_diag, or where that
// is not allowed in /proc/net/tcp, then tcp6 (where a dual-stack socket's
// IPv4 connections are).
func procSocketOf(client, server netip.AddrPort) (procSocket, error) {
	s, err := diagSocketOf(client, server)
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, errNoSocket):
		return procSocket{}, noSocket(client, server)
	}
	files := []string{"tcp6"}
	if client.Addr().Is4() {
		files = []string{"tcp", "tcp6"}
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(proc, "net", f))
		if errors.Is(err, fs.ErrNotExist) && f == "tcp6" {
			continue // no IPv6 in this kernel
		}
		if errors.Is(err, fs.ErrNotExist) {
			return procSocket{}, fmt.Errorf("no %s: this process's /proc shows no socket table (systemd's ProcSubset=pid hides it)", filepath.Join(proc, "net", f))
		}
		if err != nil {
			return procSocket{}, fmt.Errorf("read socket table: %w", err)
		}
		s, ok, err := findProcSocket(b, client, server)
		if err != nil || ok {
			return s, err
		}
	}
	return procSocket{}, noSocket(client, server)
}

func noSocket(client, server netip.AddrPort) error {
	return fmt.Errorf("no socket of this host is %s to %s (the client had closed it, or runs in another network namespace)", client, server)
}

// holderOf finds the process with a descriptor on the socket inode:
// first among the processes that held the last ones found (a program that
// sends often opens many connections), then in every /proc/PID/fd.
func holderOf(ctx context.Context, inode uint64) (int, error) {
	link := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, pid := range recent.list() {
		if ok, _ := holds(pid, link); ok {
			return pid, nil
		}
	}
	pids, err := allPIDs()
	if err != nil {
		return 0, err
	}
	denied := 0
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("socket %d: lookup cut short after %d processes: %w", inode, len(pids), context.Cause(ctx))
		}
		ok, err := holds(pid, link)
		if ok {
			recent.add(pid)
			return pid, nil
		}
		if errors.Is(err, fs.ErrPermission) {
			denied++
		}
	}
	if denied > 0 {
		return 0, fmt.Errorf("socket %d: not in the descriptors Telltale may read (%d processes' were not readable: it needs root or CAP_SYS_PTRACE to see other users')", inode, denied)
	}
	return 0, fmt.Errorf("socket %d: no process holds it any more (the client had closed it)", inode)
}

// holds reports whether process pid has a descriptor on link.
func holds(pid int, link string) (bool, error) {
	dir := filepath.Join(proc, strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		if l, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && l == link {
			return true, nil
		}
	}
	return false, nil
}

func allPIDs() ([]int, error) {
	ents, err := os.ReadDir(proc)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// describe fills in the image, name, user and systemd service of p.PID.
func describe(p *store.Process) {
	dir := filepath.Join(proc, strconv.Itoa(p.PID))
	var missing []string
	if image, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		p.Image, p.Name = image, filepath.Base(strings.TrimSuffix(image, " (deleted)"))
	} else {
		missing = append(missing, "image: "+errText(err))
		if comm, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
			p.Name = strings.TrimSpace(string(comm))
		}
	}
	if uid, ok := effectiveUID(dir); ok {
		p.User = userName(uid)
	}
	if unit := systemdService(dir); unit != "" {
		p.Services = []string{unit}
	}
	p.Unknown = strings.Join(missing, "; ")
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// effectiveUID reads the second field of the Uid line of /proc/PID/status.
func effectiveUID(dir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Uid:"); ok {
			if f := strings.Fields(rest); len(f) >= 2 {
				uid, err := strconv.Atoi(f[1])
				return uid, err == nil
			}
		}
	}
	return 0, false
}

// systemdService is the .service unit in the process's cgroup path
// ("0::/system.slice/citrix-telemetry.service"), or "".
func systemdService(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.Split(line, "/")
		for i := len(parts) - 1; i >= 0; i-- {
			if strings.HasSuffix(parts[i], ".service") && !strings.HasPrefix(parts[i], "user@") {
				return parts[i]
			}
		}
	}
	return ""
}

// userName is the name of uid, or "uid N" when it has none.
func userName(uid int) string {
	if n, ok := users.Load(uid); ok {
		return n.(string)
	}
	name := "uid " + strconv.Itoa(uid)
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = u.Username
	}
	users.Store(uid, name)
	return name
}

var users sync.Map // uid -> name

// recent are the last processes found holding a client's socket.
var recent recentPIDs

type recentPIDs struct {
	mu   sync.Mutex
	pids []int
}

const recentMax = 8

func (r *recentPIDs) list() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.pids...)
}

func (r *recentPIDs) add(pid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pids = append([]int{pid}, r.pids...)
	if len(r.pids) > recentMax {
		r.pids = r.pids[:recentMax]
	}
}
