package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/telltale/telltale/store"
)

// Client reads captures through a running server's admin API.
type Client struct {
	Base  string // http://127.0.0.1:8081
	Token string
	HTTP  *http.Client // nil: a client with a 30s timeout
}

var _ Reader = (*Client)(nil)

// List is Store.List over the API.
func (c *Client) List(q store.Query) ([]store.Capture, error) {
	v := url.Values{}
	if q.Host != "" {
		v.Set("host", q.Host)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	resp, err := c.get("/api/captures?" + v.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []store.Capture
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("admin API /api/captures: bad answer: %w", err)
	}
	if err := behindErr(resp.Header); err != nil {
		return out, err
	}
	return out, nil
}

// behindErr is the *store.BehindError an answer's HeaderBehind reports,
// or nil.
func behindErr(h http.Header) error {
	n, err := strconv.ParseUint(h.Get(HeaderBehind), 10, 64)
	if err != nil || n == 0 {
		return nil
	}
	return fmt.Errorf("admin API /api/captures: %w", &store.BehindError{Missing: n})
}

// Capture is Store.Capture over the API.
func (c *Client) Capture(id string) (*store.Capture, error) {
	var out store.Capture
	if err := c.getJSON("/api/captures/"+url.PathEscape(id), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OpenBody is Store.OpenBody over the API.
func (c *Client) OpenBody(sha string) (io.ReadCloser, int64, error) {
	resp, err := c.get("/api/bodies/" + url.PathEscape(sha))
	if err != nil {
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

func (c *Client) getJSON(path string, v any) error {
	resp, err := c.get(path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("admin API %s: bad answer: %w", path, err)
	}
	return nil
}

func (c *Client) get(path string) (*http.Response, error) {
	return c.do(http.MethodGet, path)
}

func (c *Client) do(method, path string) (*http.Response, error) {
	req, err := http.NewRequest(method, c.Base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API of the running server: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&e)
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s", store.ErrNotFound, e.Error)
	}
	return nil, fmt.Errorf("admin API %s: %s: %s", path, resp.Status, e.Error)
}
