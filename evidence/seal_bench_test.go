package evidence

import (
	"testing"

	"github.com/telltale/telltale/store"
)

// The cost Options.Seal adds to the capture path per small body: most
// bodies hold no secret, token requests do.
func BenchmarkRedactor_Seal(b *testing.B) {
	h := &store.Head{Headers: []store.Header{{Name: "Content-Type", Value: "application/json"}}}
	for _, bc := range []struct {
		name string
		body string
	}{
		{"NoSecret", `{"ver":"1.0","n":12,"licenses":[{"id":"CTX-3","qty":4},{"id":"CTX-5","qty":1}],"host":"lic1"}`},
		// A GUID is a long base64-like run: the fast path decodes it.
		{"NoSecretLongIDs", `{"ver":"1.0","lsguid":"6f1c0d2e-8b3a-4f5e-9a7b-2c4d6e8f0a1b","licenses":[{"id":"CTX-3","qty":4}]}`},
		{"TokenRequest", `{"clientId":"lic-server","clientSecret":"4821","scope":"las"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			b.ReportAllocs()
			for b.Loop() {
				Redactor{}.Seal(h, body)
			}
		})
	}
}
