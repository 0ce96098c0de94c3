package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telltale/telltale/store"
)

// Seal's fast path never skips a body in which decoding finds a secret:
// for every body inspect's tests decode, and every name in it made the
// secret one, mayHoldSecret is true wherever exposed finds something.
func TestRedactor_MayHoldSecret_NeverSkipsAFind(t *testing.T) {
	files, _ := filepath.Glob("../inspect/testdata/decode/*.body")
	bodies := map[string][]byte{
		"plain":    []byte(`{"ver":"1.0","licenses":[{"id":"CTX-3","qty":4}]}`),
		"escaped":  []byte(`{"pass\u0077ord":"x"}`),
		"percent":  []byte(`user=a&pass%77ord=x`),
		"embedded": []byte(`{"payload":"{\"token\":\"t\"}"}`),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(f)] = b
	}
	if len(bodies) < 10 {
		t.Fatalf("found %d bodies", len(bodies))
	}
	h := &store.Head{}
	checked := 0
	for name, body := range bodies {
		words := map[string]bool{"token": true, "password": true}
		for _, f := range decodeFields(h, body) {
			for _, w := range strings.FieldsFunc(f.Path, func(c rune) bool { return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') }) {
				words[w] = true
			}
		}
		for w := range words {
			r := Redactor{Fields: []string{w}}
			if len(r.exposed(decodeFields(h, body))) > 0 {
				checked++
				if !r.mayHoldSecret(h, body) {
					t.Errorf("%s: decoding finds %q, but the fast path skips the body", name, w)
				}
			}
		}
	}
	if (Redactor{}).mayHoldSecret(h, bodies["plain"]) {
		t.Errorf("a plain body without secret names takes the slow path")
	}
	t.Logf("%d bodies, %d finds checked", len(bodies), checked)
}
