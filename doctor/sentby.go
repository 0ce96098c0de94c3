package doctor

import (
	"context"
	"net"
	"os"
	"time"

	"github.com/telltale/telltale/proxy/owner"
)

// checkSentBy looks up the program behind a loopback connection of its
// own, as serve does for each client on this host: a warn says captures
// from this host will name no program, and why. It runs as the user who
// runs doctor; the service's user may see less (README, "Which program
// sent it").
func (d *doctor) checkSentBy() {
	if d.cfg.Clients.SentByWait == 0 {
		d.line(checkOK, "sent by", "off (clients.sent_by_wait: 0s): captures name no sending program")
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.line(checkWarn, "sent by", "cannot try a lookup: %v", err)
		return
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		d.line(checkWarn, "sent by", "cannot try a lookup: %v", err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	start := time.Now()
	p := owner.Lookup(ctx, c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort())
	took := time.Since(start).Round(time.Microsecond)
	switch {
	case p.PID != os.Getpid():
		d.line(checkWarn, "sent by", "the program behind a local connection was not found, so captures from this host will say unknown: %s", p.Unknown)
	case took > time.Duration(d.cfg.Clients.SentByWait):
		d.line(checkWarn, "sent by", "a lookup took %s, more than clients.sent_by_wait (%s): captures may say unknown", took, time.Duration(d.cfg.Clients.SentByWait))
	default:
		d.line(checkOK, "sent by", "a local client's program is found in %s (this check's own connection: %s)", took, p.String())
	}
}
