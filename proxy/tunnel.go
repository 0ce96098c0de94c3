package proxy

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// splice copies both ways until both directions end, and counts bytes.
// When no byte moves either way for idle, or one side stops taking bytes
// for that long, it closes both connections and reports idled.
func splice(client, up net.Conn, idle time.Duration) (upBytes, downBytes int64, idled bool) {
	t := &tunnelClock{idle: idle}
	t.touch()
	var wg sync.WaitGroup
	var u, d atomic.Int64
	var stalled atomic.Bool
	pump := func(dst, src net.Conn, n *atomic.Int64) {
		defer wg.Done()
		m, err := t.copy(dst, src)
		n.Store(m)
		if isTimeout(err) {
			stalled.Store(true)
			client.Close()
			up.Close()
			return
		}
		closeWrite(dst)
	}
	wg.Add(2)
	go pump(up, client, &u)
	go pump(client, up, &d)
	wg.Wait()
	return u.Load(), d.Load(), stalled.Load()
}

// tunnelClock is the last time a tunnel moved a byte either way.
type tunnelClock struct {
	idle time.Duration
	last atomic.Int64 // unix nanoseconds
}

func (t *tunnelClock) touch() { t.last.Store(time.Now().UnixNano()) }

func (t *tunnelClock) idleNow() bool {
	return time.Since(time.Unix(0, t.last.Load())) >= t.idle
}

// copy is io.Copy with deadlines: a read that times out while the other
// direction is busy is tried again; one that times out while both are
// quiet ends the copy with the timeout.
func (t *tunnelClock) copy(dst, src net.Conn) (int64, error) {
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	var n int64
	for {
		src.SetReadDeadline(time.Now().Add(t.idle))
		m, err := src.Read(*buf)
		if m > 0 {
			t.touch()
			dst.SetWriteDeadline(time.Now().Add(t.idle))
			if _, werr := dst.Write((*buf)[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if err != nil && !(isTimeout(err) && !t.idleNow()) {
			return n, err
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
