package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Live updates.
const (
	// pollInterval is how often the hub looks for new records while
	// somebody listens.
	pollInterval = 250 * time.Millisecond
	// keepAlive is how often an idle event stream sends a comment, so that
	// proxies and browsers keep it open.
	keepAlive = 15 * time.Second
	// subBuffer is how many batches a slow listener may fall behind before
	// it is dropped (its browser reconnects and reloads).
	subBuffer = 64
)

// hub streams captures to /api/events listeners: while any listens, it
// refreshes the catalog every pollInterval, and every refresh (a list
// request's too) hands it the captures that opened or completed.
type hub struct {
	cat      *catalog
	interval time.Duration

	mu      sync.Mutex
	subs    map[chan []Item]struct{}
	closed  bool
	started bool

	stop chan struct{}
	wg   sync.WaitGroup
}

func newHub(cat *catalog) *hub {
	h := &hub{cat: cat, interval: pollInterval, subs: map[chan []Item]struct{}{}, stop: make(chan struct{})}
	cat.onChange = h.publish
	return h
}

// subscribe returns a channel of batches, closed when the hub closes or
// the listener falls too far behind; cancel unsubscribes.
func (h *hub) subscribe() (ch chan []Item, cancel func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, false
	}
	ch = make(chan []Item, subBuffer)
	h.subs[ch] = struct{}{}
	if !h.started {
		h.started = true
		h.wg.Add(1)
		go h.poll()
	}
	return ch, func() { h.drop(ch) }, true
}

func (h *hub) drop(ch chan []Item) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

func (h *hub) listening() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}

func (h *hub) poll() {
	defer h.wg.Done()
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			if h.listening() {
				h.cat.refresh() // errors show on the next list request
			}
		}
	}
}

func (h *hub) publish(touched []*entry) {
	h.cat.mu.RLock()
	items := make([]Item, len(touched))
	for i, e := range touched {
		items[i] = e.item()
	}
	h.cat.mu.RUnlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- items:
		default: // too far behind: drop it, its browser reconnects
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// close ends every stream and the poller.
func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
	h.mu.Unlock()
	close(h.stop)
	h.wg.Wait()
}

// events is GET /api/events: server-sent events, one "capture" event per
// capture that opened or completed, its data an Item.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	ch, cancel, ok := h.hub.subscribe()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer cancel()
	// After subscribing: what this refresh finds is streamed too.
	if err := h.cat.refresh(); err != nil {
		h.fail(w, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	h.cat.mu.RLock()
	n := len(h.cat.entries)
	h.cat.mu.RUnlock()
	fmt.Fprintf(w, "retry: 2000\nevent: hello\ndata: {\"count\":%d}\n\n", n)
	rc.Flush()
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case items, ok := <-ch:
			if !ok {
				return
			}
			for _, it := range items {
				b, _ := json.Marshal(it)
				fmt.Fprintf(w, "event: capture\nid: %s\ndata: %s\n\n", it.ID, b)
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
