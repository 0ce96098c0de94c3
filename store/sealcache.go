package store

import (
	"strings"
	"sync"
)

// sealMisses remembers the bodies the Sealer found no secret in, so that
// a burst of identical bodies (a License Server's repeated uploads) is
// scanned once: the key is the body's content address, which Append has
// already computed, with every Content-Type and Content-Encoding value of
// its head, the only parts of the head a Sealer's verdict may depend on
// (see Sealer). A body with secrets is sealed afresh each time: its
// commitments take new salts.
type sealMisses struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

// maxSealMisses bounds the keys kept; when full, the set starts over.
const maxSealMisses = 4096

func sealMissKey(h *Head, key string) string {
	var b strings.Builder
	b.WriteString(key)
	for _, f := range h.Headers {
		if strings.EqualFold(f.Name, "Content-Type") || strings.EqualFold(f.Name, "Content-Encoding") {
			b.WriteString("\n" + f.Name + ":" + f.Value)
		}
	}
	return b.String()
}

func (m *sealMisses) has(k string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.keys[k]
	return ok
}

func (m *sealMisses) add(k string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil || len(m.keys) >= maxSealMisses {
		m.keys = make(map[string]struct{})
	}
	m.keys[k] = struct{}{}
}
