package inspect

import (
	"bytes"
	"strings"
	"testing"
)

// TestDecode_Golden decodes each committed input and compares the tree,
// its fields, figures and shape with testdata/decode/<case>.golden.json.
func TestDecode_Golden(t *testing.T) {
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) {
			body := loadCase(t, c)
			p := Decode(body, c.meta, Options{})
			checkTree(t, body, p, Options{})
			got := mustJSON(t, map[string]any{
				"meta":    c.meta,
				"tree":    viewOf(p),
				"fields":  Fields(p),
				"figures": Figures(p),
				"shape":   Shape(p),
			})
			mustGolden(t, "decode/"+c.name+".golden.json", got)
		})
	}
}

// fieldAt returns the field at path, failing the test if there is none.
func fieldAt(t *testing.T, fields []Field, path string) Field {
	t.Helper()
	for _, f := range fields {
		if f.Path == path {
			return f
		}
	}
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.Path)
	}
	t.Fatalf("no field at %s; have:\n%s", path, strings.Join(paths, "\n"))
	return Field{}
}

// TestFields_PathGrammar checks the paths the package documents.
func TestFields_PathGrammar(t *testing.T) {
	tests := []struct {
		caseName, path, typ string
		value               any
	}{
		{"compliance_gzip", "$.features[2].CountUsedMax", KindNumber, "42"},
		{"usage_zip", "manifest.json:$.Serials[0].SN", KindString, "LA-0012345678-12345"},
		{"usage_zip", "ue_lt_1683864965.zip/usage.json:$.events[0].user", KindString, "alice@corp.example"},
		{"offline_activation_multipart", "request.tgz/ns_offline_activation_request.json:$.lsguid",
			KindString, "b3c1e4a2-0d1f-4e5a-9b8c-7d6e5f4a3b2c"},
		{"offline_activation_multipart", "data:$.ver", KindString, "1.0"},
		{"token_form", "form:clientId", KindText, "telltale-test"},
		{"token_form", "form:scope[1]", KindText, "telemetry"},
		{"token_form", "form:object:$.nslaslicense.filename", KindString, "blob.tgz"},
		{"compliance_xml", "/LicenseServerCompliance/Feature[1]/@id", KindString, "CAG_AAC_CCU"},
		{"compliance_xml", "/LicenseServerCompliance/Feature[1]/UsersReleased[1]", KindString, "3"},
		{"compliance_xml", "/LicenseServerCompliance/Comment[1]/text()", KindString, "manual upload"},
		{"jwt_in_json", "$.token/claims:$.sub", KindString, "telltale-test"},
		{"jwt_body", "header:$.alg", KindString, "RS256"},
		{"base64_gzip_field", "$.payload:$.CountUsedMax", KindNumber, "5"},
		{"base64_gzip_field", "$.hash", KindString, nil},
		{"gzip_br_chain", "$.platform", KindString, "LicenseServer"},
		{"json_declared_but_text", ".", KindText, "Service Unavailable"},
	}
	cases := map[string]decodeCase{}
	for _, c := range decodeCases {
		cases[c.name] = c
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			c := cases[tt.caseName]
			f := fieldAt(t, Fields(Decode(loadCase(t, c), c.meta, Options{})), tt.path)
			if f.Type != tt.typ {
				t.Errorf("type: got %v, want %v", f.Type, tt.typ)
			}
			if got := strings.TrimSpace(toString(f.Value)); tt.value != nil && got != tt.value {
				t.Errorf("value: got %v, want %v", got, tt.value)
			}
		})
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case interface{ String() string }:
		return v.String()
	}
	return ""
}

// TestDecode_Notes checks that a part says when its bytes were not what
// the headers claimed.
func TestDecode_Notes(t *testing.T) {
	tests := []struct {
		name, typ, note string
		body            []byte
		meta            Meta
	}{
		{"json but text", TypeText, "declared json", []byte("Service Unavailable"),
			Meta{ContentType: "application/json"}},
		{"gzip but plain", TypeJSON, "Content-Encoding gzip", []byte(`{"a":1}`),
			Meta{ContentEncoding: "gzip"}},
		{"unknown encoding", TypeJSON, `"compress" is not known`, []byte(`{"a":1}`),
			Meta{ContentEncoding: "compress"}},
		{"zip magic but broken", TypeBytes, "looks like zip", []byte("PK\x03\x04\x00\xff\xfe"), Meta{}},
		{"jwt", TypeJWT, "signature not verified", []byte(testJWT(t)), Meta{}},
		{"multipart without boundary", TypeText, "names no boundary", []byte("--x\r\n"),
			Meta{ContentType: "multipart/form-data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Decode(tt.body, tt.meta, Options{})
			if p.Type != tt.typ {
				t.Errorf("type: got %v, want %v", p.Type, tt.typ)
			}
			if !strings.Contains(p.Note, tt.note) {
				t.Errorf("note: got %q, want it to contain %q", p.Note, tt.note)
			}
		})
	}
}

func TestDecode_EmptyBody(t *testing.T) {
	p := Decode(nil, Meta{}, Options{})
	if p.Type != TypeText || p.Value != "" {
		t.Errorf("got %v %q, want text \"\"", p.Type, p.Value)
	}
	if got := Fields(p); len(got) != 1 || got[0].Path != "." {
		t.Errorf("got fields %v, want one at .", got)
	}
}

func TestPart_TextAndHex(t *testing.T) {
	p := Decode([]byte("ab\x00\xffcd"), Meta{}, Options{})
	if p.Type != TypeBytes {
		t.Fatalf("got type %v, want bytes", p.Type)
	}
	if got, want := p.Text(), "ab.\uFFFDcd"; got != want {
		t.Errorf("Text: got %q, want %q", got, want)
	}
	if got := p.Hex(2); !strings.HasPrefix(got, "00000000  61 62") || !strings.Contains(got, "4 more bytes") {
		t.Errorf("Hex(2): got %q", got)
	}
	if got := p.Hex(0); strings.Contains(got, "more bytes") {
		t.Errorf("Hex(0) left bytes out: %q", got)
	}
}

func TestPart_Content(t *testing.T) {
	p := Decode(gz(t, []byte(`{"a":1}`)), Meta{}, Options{})
	if p.Type != TypeGzip || p.Content().Type != TypeJSON {
		t.Errorf("got %v -> %v, want gzip -> json", p.Type, p.Content().Type)
	}
}

// TestDecode_TarInPlace checks that a tar entry's bytes are a slice of the
// archive, where Offset says.
func TestDecode_TarInPlace(t *testing.T) {
	body := tarOf(t, file{name: "a.json", data: []byte(`{"a":1}`)}, file{name: "b.txt", data: []byte("hello\n")})
	p := Decode(body, Meta{Name: "x.tar"}, Options{})
	checkTree(t, body, p, Options{})
	if p.Type != TypeTar || len(p.Children) != 2 {
		t.Fatalf("got %v with %d children, want tar with 2", p.Type, len(p.Children))
	}
	for _, c := range p.Children {
		if c.Offset < 0 || !bytes.Equal(body[c.Offset:c.Offset+c.Size], c.Raw) {
			t.Errorf("%s: Offset %d does not locate its bytes", c.Name, c.Offset)
		}
	}
}
