package admin

import (
	"bytes"
	"container/list"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/telltale/telltale/inspect"
)

// Limits of free-text search.
const (
	// searchReadMax is how much of a stored body search reads.
	searchReadMax = 8 << 20
	// searchTextMax is how much decoded text of one body search keeps.
	searchTextMax = 1 << 20
	// searchCacheMax bounds the decoded texts kept between searches.
	searchCacheMax = 64 << 20
)

// searcher answers "does this capture's URL or body hold this text": it
// decodes bodies (gzip, zip, base64 in JSON, ...) with inspect and keeps
// the lowercased text of recently searched bodies, by content address, so
// a second search over the same captures reads no body.
type searcher struct {
	open   func(sha string) (io.ReadCloser, int64, error)
	budget time.Duration

	mu    sync.Mutex
	used  int64
	texts map[string]*list.Element // content address -> *cached
	lru   *list.List
}

type cached struct {
	key  string
	text string // lowercased, for matching
	orig string // as decoded, for snippets
}

func newSearcher(open func(string) (io.ReadCloser, int64, error)) *searcher {
	return &searcher{open: open, budget: searchBudget, texts: map[string]*list.Element{}, lru: list.New()}
}

// match reports whether q (lowercase) is in the URL or either body.
func (s *searcher) match(q, url string, bodies ...bodyInfo) bool {
	if strings.Contains(strings.ToLower(url), q) {
		return true
	}
	for _, b := range bodies {
		if b.key != "" && strings.Contains(s.text(b), q) {
			return true
		}
	}
	return false
}

// text is the lowercased searchable text of a body: the decoded text of
// every JSON, XML, text and form part, or "" when it cannot be read.
func (s *searcher) text(b bodyInfo) string { return s.entry(b).text }

// entry is a body's cached texts, read and decoded on a miss.
func (s *searcher) entry(b bodyInfo) *cached {
	s.mu.Lock()
	if el, ok := s.texts[b.key]; ok {
		s.lru.MoveToFront(el)
		s.mu.Unlock()
		return el.Value.(*cached)
	}
	s.mu.Unlock()
	orig := s.load(b)
	c := &cached{b.key, strings.ToLower(orig), orig}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.texts[b.key]; ok {
		return el.Value.(*cached)
	}
	s.texts[b.key] = s.lru.PushFront(c)
	s.used += c.size()
	for s.used > searchCacheMax && s.lru.Len() > 1 {
		old := s.lru.Remove(s.lru.Back()).(*cached)
		delete(s.texts, old.key)
		s.used -= old.size()
	}
	return c
}

func (c *cached) size() int64 { return int64(len(c.text)+len(c.orig)) + 100 }

func (s *searcher) load(b bodyInfo) string {
	rc, _, err := s.open(b.key)
	if err != nil {
		return ""
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, searchReadMax))
	if err != nil {
		return ""
	}
	root := inspect.Decode(raw, inspect.Meta{ContentType: b.contentType, ContentEncoding: b.encoding},
		inspect.Options{MaxTotal: 4 * searchReadMax})
	var buf bytes.Buffer
	collectText(root, &buf)
	if buf.Len() > searchTextMax {
		buf.Truncate(searchTextMax)
	}
	return buf.String()
}

// collectText appends the text of every textual part of the tree.
func collectText(p *inspect.Part, buf *bytes.Buffer) {
	if buf.Len() > searchTextMax {
		return
	}
	switch p.Type {
	case inspect.TypeJSON, inspect.TypeXML, inspect.TypeText, inspect.TypeForm:
		buf.Write(p.Raw)
		buf.WriteByte('\n')
	}
	if p.Name != "" {
		buf.WriteString(p.Name)
		buf.WriteByte('\n')
	}
	for _, c := range p.Children {
		collectText(c, buf)
	}
}
