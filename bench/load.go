package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Workload is one shape of traffic.
type Workload struct {
	Name        string
	Concurrency int           // clients sending at once
	BodySize    int           // request body bytes
	NewConn     bool          // a new TCP+TLS connection per request
	Duration    time.Duration // how long to send
	MaxRequests int           // per client; 0: no limit (Duration decides)
}

// loadResult is what the clients saw.
type loadResult struct {
	Requests   int
	Errors     int
	Unfinished int // cut by the workload's deadline
	FirstErr   string
	Elapsed    time.Duration
	Latencies  []time.Duration
}

// runLoad sends w's traffic to target through proxy (nil: direct),
// trusting roots.
func runLoad(ctx context.Context, w Workload, target string, proxy *url.URL, roots *x509.CertPool) loadResult {
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots},
		MaxIdleConnsPerHost: w.Concurrency,
		DisableKeepAlives:   w.NewConn,
		DisableCompression:  true,
	}
	if proxy != nil {
		tr.Proxy = http.ProxyURL(proxy)
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	body := bytes.Repeat([]byte(`{"CountUsedMax":42,"id":"CAG_AAC_CCU"}`), w.BodySize/38+1)[:w.BodySize]

	ctx, cancel := context.WithTimeout(ctx, w.Duration)
	defer cancel()
	var mu sync.Mutex
	res := loadResult{}
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < w.Concurrency; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var n, errs, cut int
			var first string
			for i := 0; ctx.Err() == nil && (w.MaxRequests == 0 || i < w.MaxRequests); i++ {
				t0 := time.Now()
				err := post(ctx, client, target, body)
				if ctx.Err() != nil {
					if w.MaxRequests > 0 {
						cut++ // a fixed count of requests was asked for
					}
					break
				}
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				n++
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.Requests += n
			res.Errors += errs
			res.Unfinished += cut
			if res.FirstErr == "" {
				res.FirstErr = first
			}
			res.Latencies = append(res.Latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	return res
}

func post(ctx context.Context, c *http.Client, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}
