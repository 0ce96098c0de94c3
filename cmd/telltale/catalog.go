package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// The filters that only the admin API's catalog answers (endpoint, status,
// free text, host suffix, offset) work the same with or without serve:
// while serve runs the CLI asks its admin API, and otherwise it runs the
// same admin handler in this process, over the store file.

// openCatalog returns an admin client for the list endpoint of dir. With
// inspect, the handler in this process has the analysis too, which dates
// each capture by the usage day it reports on (usage_since, usage_until).
func openCatalog(dir string, templates analysis.Templates, inspect *configs.Inspect) (*admin.Client, func(), error) {
	c, err := openCaptures(dir)
	if err != nil {
		return nil, nil, err
	}
	switch v := c.(type) {
	case clientCloser:
		return v.Client, func() {}, nil
	case *store.Store:
		tok := rand.Text()
		o := admin.Options{Store: v, Token: tok, Templates: templates}
		var a *analysis.Analyzer
		if inspect != nil {
			var err error
			if a, err = analysis.New(v, server.AnalysisOptions(*inspect, zerolog.Nop())); err != nil {
				v.Close()
				return nil, nil, err
			}
			o.Analysis = a
		}
		h := admin.NewHandler(o)
		cl := &admin.Client{Base: "http://telltale.in-process", Token: tok, HTTP: &http.Client{Transport: handlerTransport{h}}}
		return cl, func() {
			h.Close()
			if a != nil {
				a.Close()
			}
			v.Close()
		}, nil
	}
	c.Close()
	return nil, nil, fmt.Errorf("store of type %T cannot be listed", c)
}

// handlerTransport answers requests with a handler in this process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := &bufferedResponse{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return &http.Response{StatusCode: w.code, Status: fmt.Sprintf("%d %s", w.code, http.StatusText(w.code)),
		Header: w.header, Body: io.NopCloser(&w.body), ContentLength: int64(w.body.Len()), Request: r}, nil
}

// bufferedResponse is an http.ResponseWriter that keeps the answer.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}
func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// pageAll asks the list endpoint for the newest limit matches (0: all)
// after skipping the newest offset, following the cursor, and returns
// them oldest first with the total count (-1 when not counted). When the
// server's indexer is behind, it returns them with a *store.BehindError.
func pageAll(c *admin.Client, v url.Values, limit, offset int) ([]admin.Item, int, error) {
	const most = 1000 // the API's largest page
	v.Set("order", "desc")
	v.Set("limit", strconv.Itoa(most))
	if limit > 0 && limit < most {
		v.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	var items []admin.Item
	total := -1
	var behind error
	for {
		p, err := c.Page(v)
		if err != nil {
			return nil, 0, err
		}
		if total < 0 {
			total = p.Total
		}
		if behind == nil {
			behind = p.Behind
		}
		items = append(items, p.Items...)
		if p.Next == "" || limit > 0 && len(items) >= limit {
			break
		}
		v.Set("cursor", p.Next)
		v.Del("offset")
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	slices.Reverse(items)
	return items, total, behind
}

// ofHost keeps the items whose capture's host matches pattern (a host or
// a domain suffix, admin.MatchHost); "" keeps them all.
func ofHost[T any](c admin.Reader, pattern string, items []T, id func(T) string) ([]T, error) {
	if pattern == "" {
		return items, nil
	}
	caps, err := c.List(store.Query{})
	if err != nil {
		return nil, err
	}
	pattern = strings.ToLower(pattern)
	match := make(map[string]bool, len(caps))
	for _, cp := range caps {
		if admin.MatchHost(pattern, strings.ToLower(cp.Host)) {
			match[cp.ID] = true
		}
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		if match[id(it)] {
			out = append(out, it)
		}
	}
	return out, nil
}
