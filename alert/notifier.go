package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/store"
)

// Outcomes passed to Options.OnOutcome.
const (
	Sent       = "sent"       // the webhook accepted it
	Failed     = "failed"     // dead-lettered after the last attempt
	Dropped    = "dropped"    // the queue was full
	Logged     = "logged"     // no webhook: the log line is the alert
	Suppressed = "suppressed" // a repeat within Options.Repeat
)

// Options configure a Notifier. Zero values mean the defaults.
type Options struct {
	// Webhook is the URL alerts are POSTed to; "" logs them only.
	Webhook string
	// DeadLetter is the JSON-lines file for alerts that could not be
	// delivered; "" logs them only.
	DeadLetter string
	Queue      int           // pending alerts; 0: 64
	Attempts   int           // POSTs per alert; 0: 5
	Backoff    time.Duration // wait before the first retry, doubling each time; 0: 1s
	Timeout    time.Duration // per POST; 0: 10s
	// Repeat is how long the same alert (kind and subject) is held back
	// after it was sent; 0: 1h, negative: never held back.
	Repeat time.Duration
	Client *http.Client // nil: a client with Timeout
	Source string       // names this machine in alerts; "": the host name
	// OnOutcome, when set, is told what became of each alert (metrics).
	OnOutcome func(kind, outcome string)
	// Sink, when set, also gets each alert that is logged, whether or not
	// a webhook is set: the Windows event log for the service (EventLog).
	Sink   Sink
	Logger zerolog.Logger
	Now    func() time.Time // nil: time.Now
}

func (o *Options) setDefaults() {
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Repeat == 0 {
		o.Repeat = time.Hour
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout}
	}
	if o.Source == "" {
		o.Source, _ = os.Hostname()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Notifier logs alerts and delivers them to the webhook in the background.
type Notifier struct {
	opts Options
	log  zerolog.Logger

	queue chan Alert
	abort chan struct{} // closed when Close gives up waiting: dead-letter the rest
	done  chan struct{} // closed when the worker has exited

	mu       sync.Mutex
	webhook  string
	closed   bool
	lastSent map[string]time.Time // by Alert.key, for Repeat
	held     map[string]int       // alerts held back since lastSent
	down     map[string]bool      // upstream hosts with a failure alert and no success since
}

// New starts a Notifier; Close it to deliver what is queued.
func New(opts Options) *Notifier {
	opts.setDefaults()
	n := &Notifier{
		opts:     opts,
		log:      opts.Logger.With().Str("component", "alert").Logger(),
		queue:    make(chan Alert, opts.Queue),
		abort:    make(chan struct{}),
		done:     make(chan struct{}),
		webhook:  opts.Webhook,
		lastSent: map[string]time.Time{},
		held:     map[string]int{},
		down:     map[string]bool{},
	}
	go n.run()
	return n
}

// Reconfigure changes the webhook URL ("" turns delivery off) and
// Options.Repeat (0: 1h) for the alerts that follow: a config reload.
func (n *Notifier) Reconfigure(url string, repeat time.Duration) {
	if repeat == 0 {
		repeat = time.Hour
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.webhook, n.opts.Repeat = url, repeat
}

// Observe raises alerts from the proxy's events: an intercepted upstream
// that failed, a record the store refused, and recoveries. It has
// proxy.Options.Observe's shape.
func (n *Notifier) Observe(e proxy.Event) {
	switch {
	case e.CaptureFailed && e.ID != 0: // the request was recorded and forwarded
		n.ResponseNotRecorded(e.Host, e.ID, e.Err)
	case e.CaptureFailed:
		n.CaptureFailed(e.Host, e.Err)
	case e.RefusedTLS:
		n.ClientRefusedTLS(e.Host, e.Client, e.Err, e.PassThrough)
	case e.PassThrough: // each tunnel of a passed-through host: held back by Repeat
		n.PassThrough(e.Host, e.Client, e.Err)
	case e.Kind != store.CaptureExchange:
	case e.UpstreamFailed:
		n.UpstreamFailed(e.Host, e.Err)
	case e.Status > 0:
		n.UpstreamOK(e.Host)
	}
}

// Notify logs a at warn level and queues it for the webhook. It never
// blocks: when the queue is full, a is dropped (and that is logged).
func (n *Notifier) Notify(a Alert) {
	a.Time, a.Source = n.opts.Now().UTC(), n.opts.Source
	a.Text = "[telltale] " + a.Summary
	n.mu.Lock()
	repeats, ok := n.admit(a)
	n.mu.Unlock()
	if !ok {
		n.outcome(a.Kind, Suppressed)
		n.log.Debug().Str("kind", a.Kind).Str("subject", a.Subject).Msg("alert held back (alerts.repeat)")
		return
	}
	a.Repeats = repeats
	n.log.Warn().Str("kind", a.Kind).Str("severity", a.Severity).Str("host", a.Host).
		Int("repeats", a.Repeats).Str("detail", a.Detail).Msg(a.Summary)
	if n.opts.Sink != nil {
		if err := n.opts.Sink.Write(a); err != nil {
			n.log.Error().Err(err).Str("kind", a.Kind).Msg("alert not written to the event log")
		}
	}
	queued, closed := n.enqueue(a)
	switch {
	case closed:
		n.deadLetter(a, errors.New("telltale was shutting down"), 0)
	case !queued:
		n.outcome(a.Kind, Dropped)
		n.log.Warn().Str("kind", a.Kind).Int("queue", n.opts.Queue).Msg("alert dropped: the webhook queue is full")
	}
}

// enqueue hands a to the worker without waiting; n.mu keeps Close from
// closing the queue meanwhile.
func (n *Notifier) enqueue(a Alert) (queued, closed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false, true
	}
	select {
	case n.queue <- a:
		return true, false
	default:
		return false, false
	}
}

// admit applies Repeat; the caller holds n.mu.
func (n *Notifier) admit(a Alert) (repeats int, ok bool) {
	if n.opts.Repeat < 0 {
		return 0, true
	}
	now, k := n.opts.Now(), a.key()
	if last, seen := n.lastSent[k]; seen && now.Sub(last) < n.opts.Repeat {
		n.held[k]++
		return 0, false
	}
	if len(n.lastSent) > 4096 { // forget subjects long quiet
		for key, t := range n.lastSent {
			if now.Sub(t) >= n.opts.Repeat {
				delete(n.lastSent, key)
				delete(n.held, key)
			}
		}
	}
	repeats = n.held[k]
	n.lastSent[k] = now
	delete(n.held, k)
	return repeats, true
}

// failing records whether host is down and returns whether it was.
func (n *Notifier) failing(host string, down bool) (was bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	was = n.down[host]
	if down {
		n.down[host] = true
	} else {
		delete(n.down, host)
	}
	return was
}

// Close stops taking alerts and delivers those queued until ctx ends; what
// is left then goes to the dead-letter file.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		<-n.done
		return nil
	}
	n.closed = true
	close(n.queue)
	n.mu.Unlock()
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		close(n.abort)
		<-n.done
		return fmt.Errorf("alerts: %w: undelivered alerts were dead-lettered", ctx.Err())
	}
}

// run is the worker: one alert at a time, in order.
func (n *Notifier) run() {
	defer close(n.done)
	for a := range n.queue {
		n.deliver(a)
	}
}

func (n *Notifier) deliver(a Alert) {
	n.mu.Lock()
	url := n.webhook
	n.mu.Unlock()
	if url == "" {
		n.outcome(a.Kind, Logged)
		return
	}
	body, err := json.Marshal(a)
	if err != nil {
		n.deadLetter(a, err, 0)
		return
	}
	wait := n.opts.Backoff
	for attempt := 1; ; attempt++ {
		err = n.post(url, body)
		if err == nil {
			n.outcome(a.Kind, Sent)
			return
		}
		var perm permanentError
		var local *proxy.LocalError // the guard refused the webhook's address: a config matter
		if attempt >= n.opts.Attempts || errors.As(err, &perm) || errors.As(err, &local) {
			n.deadLetter(a, err, attempt)
			return
		}
		n.log.Debug().Err(err).Int("attempt", attempt).Str("kind", a.Kind).Msg("webhook failed; retrying")
		select {
		case <-time.After(wait):
			wait *= 2
		case <-n.abort:
			n.deadLetter(a, fmt.Errorf("shut down while retrying: %w", err), attempt)
			return
		}
	}
}

// permanentError is a webhook answer that retrying will not change.
type permanentError struct{ status string }

func (e permanentError) Error() string { return "webhook refused the alert: " + e.status }

func (n *Notifier) post(url string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.Timeout)
	defer cancel()
	go func() {
		select {
		case <-n.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	return post(ctx, n.opts.Client, url, body)
}

// Send posts one alert once, without retries, queue or dead letter: for
// `telltale doctor --alert`, which wants the webhook's answer at once.
func Send(ctx context.Context, client *http.Client, url string, a Alert) error {
	if a.Time.IsZero() {
		a.Time = time.Now().UTC()
	}
	if a.Source == "" {
		a.Source, _ = os.Hostname()
	}
	a.Text = "[telltale] " + a.Summary
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return post(ctx, client, url, body)
}

func post(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return permanentError{err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "telltale-alert")
	// Never follow a redirect of the post: a 307 could point it at this
	// host's admin API. The 3xx is the answer, and a permanent failure.
	resp, err := proxy.NoRedirects(client).Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 5, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return permanentError{resp.Status}
}

// deadLetter keeps an alert that could not be delivered.
func (n *Notifier) deadLetter(a Alert, why error, attempts int) {
	n.outcome(a.Kind, Failed)
	n.log.Error().Err(why).Str("kind", a.Kind).Int("attempts", attempts).Str("file", n.opts.DeadLetter).
		Msg("alert not delivered to the webhook")
	if n.opts.DeadLetter == "" {
		return
	}
	line, _ := json.Marshal(struct {
		Alert    Alert     `json:"alert"`
		Error    string    `json:"error"`
		Attempts int       `json:"attempts"`
		Time     time.Time `json:"time"`
	}{a, why.Error(), attempts, n.opts.Now().UTC()})
	f, err := os.OpenFile(n.opts.DeadLetter, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		n.log.Error().Err(err).Str("file", n.opts.DeadLetter).Msg("could not write the alert dead-letter file")
	}
}

func (n *Notifier) outcome(kind, outcome string) {
	if n.opts.OnOutcome != nil {
		n.opts.OnOutcome(kind, outcome)
	}
}
