package store

import "strconv"

// captureOf assembles a capture from its opening record and, for an
// exchange, its response record (nil while there is none). full fills the
// parts that List leaves out.
func captureOf(open, resp *Record, full bool) Capture {
	c := Capture{
		ID:      strconv.FormatUint(open.Seq, 10),
		Time:    open.Time.UTC().Format(TimeFormat),
		Client:  open.Client,
		Process: open.Process,
		Host:    open.Host,
		Error:   open.Error,
		Leaves:  []uint64{open.Seq - 1},
	}
	if open.Head != nil {
		c.Method, c.URL = open.Head.Method, open.Head.URL
	}
	if open.Kind != KindRequest {
		c.Kind, c.Complete = CaptureTunnel, true
		switch open.Kind {
		case KindDenied:
			c.Kind = CaptureDenied
		case KindLost:
			c.Kind = CaptureLost
		}
		c.RequestBytes, c.ResponseBytes = open.BytesUp, open.BytesDown
		c.Duration = open.Duration.String()
		if full {
			c.Request = message(open.Head, open.Body)
		}
		return c
	}
	c.Kind = CaptureExchange
	reqBody := open.Body
	if reqBody.Size < 0 && resp != nil && resp.RequestBody != nil {
		reqBody = *resp.RequestBody // the final description of a long body
	}
	c.RequestBytes = reqBody.Size
	if full {
		c.Request = message(open.Head, reqBody)
	}
	if resp != nil {
		completeExchange(&c, resp, full)
	}
	return c
}

func completeExchange(c *Capture, resp *Record, full bool) {
	c.Complete = true
	c.Leaves = append(c.Leaves, resp.Seq-1)
	if c.Error == "" {
		c.Error = resp.Error
	}
	if resp.Head != nil {
		c.Status = resp.Head.Status
	}
	c.ResponseBytes = resp.Body.Size
	if full {
		c.Response = message(resp.Head, resp.Body)
		c.TLS, c.Timings = resp.TLS, resp.Timings
	}
}

// message is one side of an exchange, or nil when it has no head.
func message(h *Head, b BodyRef) *Message {
	if h == nil {
		return nil
	}
	m := &Message{
		Proto:      h.Proto,
		Method:     h.Method,
		URL:        h.URL,
		Status:     h.Status,
		Headers:    h.Headers,
		Trailers:   h.Trailers,
		BodySHA256: b.SHA256,
		BodySize:   b.Size,
		Truncated:  b.Truncated,
		Pruned:     b.Pruned,
	}
	if b.Truncated {
		m.StoredSHA256 = b.StoredSHA256
	}
	return m
}
