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
