package analysis

import (
	"strings"

	"github.com/telltale/telltale/store"
)

// Masked replaces a secret's value on screen: the review UI and `telltale
// show` print it unless asked to reveal.
const Masked = "•••••• (masked)"

// MaskHeaders returns hs with the values of the headers named in secret
// (any case) masked; hs itself is not changed.
func MaskHeaders(hs []store.Header, secret []string) []store.Header {
	if len(hs) == 0 {
		return hs
	}
	out := make([]store.Header, len(hs))
	for i, h := range hs {
		out[i] = h
		for _, s := range secret {
			if strings.EqualFold(h.Name, s) && h.Value != "" {
				out[i].Value = Masked
			}
		}
	}
	return out
}
