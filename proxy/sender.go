package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/telltale/telltale/store"
)

// A capture says which program on this host sent it (store.Process): the
// process that owns the client's end of the connection, looked up by
// package owner. The lookup starts when the connection is accepted and
// runs while the client sends its request, once per connection; the
// record that opens a capture waits for it at most Options.SenderWait
// after the accept, then says it is not known, and why. A client on
// another host has no process here and is not looked up.

// DefaultSenderWait bounds how long a capture waits for the lookup of
// its sending process, counted from the connection's accept.
const DefaultSenderWait = 100 * time.Millisecond

// maxLookup bounds one lookup (a scan of every process's descriptors on
// Linux stops there); the first record of its connection waits for it
// only SenderWait.
const maxLookup = 2 * time.Second

// maxSenderLookups bounds the lookups running at once: a burst of local
// connections must not become a burst of /proc scans.
const maxSenderLookups = 4

var busyReason = fmt.Sprintf("not looked up: %d other lookups were running", maxSenderLookups)

// sender is the lookup of the process behind one client connection.
type sender struct {
	done     chan struct{}
	wait     time.Duration // Options.SenderWait
	deadline time.Time     // the accept plus wait
	proc     store.Process // set before done is closed
	started  atomic.Bool   // the lookup got a slot and runs
}

// startSender starts the lookup for a connection just accepted; nil for
// a client on another host, or when lookups are off.
func (p *Proxy) startSender(c net.Conn) *sender {
	if p.opts.SenderWait < 0 {
		return nil
	}
	client, server := addrPortOf(c.RemoteAddr()), addrPortOf(c.LocalAddr())
	if !client.IsValid() || !server.IsValid() || !p.opts.onThisHost(client.Addr(), server.Addr()) {
		return nil
	}
	s := &sender{done: make(chan struct{}), wait: p.opts.SenderWait, deadline: time.Now().Add(p.opts.SenderWait)}
	go func() {
		defer close(s.done)
		slot := time.NewTimer(time.Until(s.deadline))
		defer slot.Stop()
		select {
		case p.senderSlots <- struct{}{}:
			defer func() { <-p.senderSlots }()
		case <-slot.C:
			s.proc = store.Process{Unknown: busyReason}
			return
		}
		s.started.Store(true)
		// The lookup may go on past the first record's wait: the
		// connection's later requests get what it finds.
		ctx, cancel := context.WithTimeout(context.Background(), max(s.wait, maxLookup))
		defer cancel()
		s.proc = p.opts.lookupOwner(ctx, client, server)
	}()
	return s
}

// process is the sending process for a record, waiting for the lookup
// until its deadline; nil for a remote client. Each record gets its own
// copy: the store makes a record's strings valid UTF-8 in place.
func (s *sender) process() *store.Process {
	if s == nil {
		return nil
	}
	if !s.finished() {
		if !s.started.Load() {
			return &store.Process{Unknown: busyReason}
		}
		return &store.Process{Unknown: fmt.Sprintf("lookup unfinished %s after the connection: not waited for", s.wait)}
	}
	pr := s.proc
	pr.Services = slices.Clone(pr.Services)
	return &pr
}

// finished waits for the lookup until the deadline and reports whether
// it ended. A keep-alive connection's later requests find it ended and
// need no timer.
func (s *sender) finished() bool {
	select {
	case <-s.done:
		return true
	default:
	}
	t := time.NewTimer(time.Until(s.deadline))
	defer t.Stop()
	select {
	case <-s.done:
		return true
	case <-t.C:
		select {
		case <-s.done: // ended as the wait did
			return true
		default:
			return false
		}
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

type senderKey struct{}

// senderContext adds the connection's sender to the context of the
// requests read from it (part of the server's ConnContext).
func senderContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok && lc.sender != nil {
		return context.WithValue(ctx, senderKey{}, lc.sender)
	}
	return ctx
}

// sentBy is the sending process of a request read with ctx.
func sentBy(ctx context.Context) *store.Process {
	s, _ := ctx.Value(senderKey{}).(*sender)
	return s.process()
}

// senderOf is the sender of a hijacked connection.
func senderOf(nc net.Conn) *sender {
	if lc, ok := nc.(*limitedConn); ok {
		return lc.sender
	}
	return nil
}

// connContext is the proxy server's ConnContext.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return senderContext(sniffContext(ctx, c), c)
}
