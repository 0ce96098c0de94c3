package evidence

import (
	"strings"
	"testing"

	"github.com/telltale/telltale/store"
)

// Tests for mutants scripts/mutate.sh found alive (docs/testing.md): each
// pins a decision of the redaction code that no other test made.

// A field name escaped in a query or form ("pass%77ord") is the secret
// field it unescapes to, in the v2 head fields and in form bodies.
func TestRedactor_EscapedFieldNames(t *testing.T) {
	var r Redactor
	if !r.withholds(store.Field{Kind: store.FieldQuery, Name: "pass%77ord", Value: "pass%77ord=Q-SECRET"}) {
		t.Error("query pass%77ord: not withheld")
	}
	if r.withholds(store.Field{Kind: store.FieldQuery, Name: "page%5Fsize", Value: "page%5Fsize=10"}) {
		t.Error("query page%5Fsize: withheld, want shipped")
	}
	form := r.Body(&store.Head{Headers: []store.Header{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}},
		[]byte("user=me&pass%77ord=F-SECRET"), true)
	if string(form.Copy) != "user=me&pass%77ord=%5BREDACTED%5D" || strings.Join(form.Fields, ",") != "form password" {
		t.Errorf("form: got %q %q, want pass%%77ord's value redacted", form.Copy, form.Fields)
	}
}

// A sealed record withholds its Content-Length, header or trailer, which
// would give away the length of the secrets; nothing else on that ground.
func TestSizeOfSealed(t *testing.T) {
	sealed, plain := &store.Record{Seal: &store.Seal{}}, &store.Record{}
	for _, tc := range []struct {
		r    *store.Record
		f    store.Field
		want bool
	}{
		{sealed, store.Field{Kind: store.FieldHeader, Name: "Content-Length"}, true},
		{sealed, store.Field{Kind: store.FieldTrailer, Name: "content-length"}, true},
		{sealed, store.Field{Kind: store.FieldHeader, Name: "Content-Type"}, false},
		{sealed, store.Field{Kind: store.FieldQuery, Name: "Content-Length"}, false},
		{plain, store.Field{Kind: store.FieldHeader, Name: "Content-Length"}, false},
	} {
		if got := sizeOfSealed(tc.r, tc.f); got != tc.want {
			t.Errorf("sizeOfSealed(sealed %v, %s %s): got %v, want %v", tc.r.Seal != nil, tc.f.Kind, tc.f.Name, got, tc.want)
		}
	}
}

// Only a body with a Content-Encoding is decoded first: a plain prefix
// that names no secret field ships as it is.
func TestRedactor_Body_PlainPrefixShips(t *testing.T) {
	if got := (Redactor{}).Body(&store.Head{}, []byte(`{"n":1,"more`), false); got.Withhold != "" || got.Copy != nil {
		t.Errorf("a plain prefix without secrets: got %+v, want it shipped as is", got)
	}
}

// A string in an array is a value, not a key; objects nested in arrays
// close back to their parent, whose next key is still recognized.
func TestRedactor_JSONArraysAndNesting(t *testing.T) {
	var r Redactor
	for in, want := range map[string]string{
		`{"list":["password","keep"]}`:                   `{"list":["password","keep"]}`,
		`{"a":[{"b":1}],"password":"LEAK"}`:              `{"a":[{"b":1}],"password":"[REDACTED]"}`,
		`[{"x":[1,{"y":2}]},{"token":"LEAK"},"token",3]`: `[{"x":[1,{"y":2}]},{"token":"[REDACTED]"},"token",3]`,
	} {
		if out, _ := r.json([]byte(in)); string(out) != want {
			t.Errorf("json(%s): got %s, want %s", in, out, want)
		}
	}
}

// Every letter and digit, the first and last of each range included,
// belongs to a word of an inspect path: a name with them is still found.
func TestRedactor_SecretPath_WordBoundaries(t *testing.T) {
	r := Redactor{Fields: []string{"az09AZ_x-y"}}
	for _, path := range []string{"$.az09AZ_x-y", "config/settings.json:$.az09AZ_x-y", "/r/az09AZ_x-y[1]"} {
		if !r.secretPath(path) {
			t.Errorf("secretPath(%q): false, want true", path)
		}
	}
	if r.secretPath("$.other") {
		t.Error("secretPath($.other): true, want false")
	}
}
