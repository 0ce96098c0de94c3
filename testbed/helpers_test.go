package testbed

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"
)

// MustStartLAS starts a LAS that closes when the test ends.
func MustStartLAS(tb testing.TB, opts LASOptions) *LAS {
	tb.Helper()
	las, err := NewLAS(opts)
	if err != nil {
		tb.Fatalf("NewLAS: %v", err)
	}
	las.Start()
	tb.Cleanup(func() {
		if err := las.Close(); err != nil {
			tb.Errorf("close LAS: %v", err)
		}
	})
	return las
}

// MustRun runs a direct client for days days and fails the test on error.
func MustRun(tb testing.TB, las *LAS, c *Client, days int) Report {
	tb.Helper()
	if c.RootCAs == nil {
		c.RootCAs = las.RootCAs()
	}
	if c.Resolve == nil && c.ProxyURL == nil {
		c.Resolve = las.Resolve()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := c.Run(ctx, days)
	if err != nil {
		tb.Fatalf("Run(%d): %v", days, err)
	}
	return rep
}

// httpClient talks to the LAS directly, for requests the Client never makes.
func httpClient(las *LAS) *http.Client {
	resolve := las.Resolve()
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := resolve[addr]; ok {
				addr = to
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: las.RootCAs()},
	}}
}

func exchangesOf(exs []Exchange, e Endpoint) []Exchange {
	var out []Exchange
	for _, ex := range exs {
		if ex.Endpoint == e {
			out = append(out, ex)
		}
	}
	return out
}

func sentOf(sent []Sent, e Endpoint) []Sent {
	var out []Sent
	for _, s := range sent {
		if s.Endpoint == e {
			out = append(out, s)
		}
	}
	return out
}
