package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file pin down head fields, their commitments and the
// leaf encoding (fields.go, leaf.go) value by value: what kills the
// `fields` target's mutants (scripts/mutate.sh, docs/testing.md).

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestHeadFields_HeadOfRejectsAndJoins(t *testing.T) {
	h, err := HeadOf([]Field{{FieldMethod, "", "GET"}, {FieldURL, "", "https://h/p"}, {FieldQuery, "a", "a=1"},
		{FieldQuery, "b", "b=2"}, {FieldQuery, "", ""}, {FieldStatus, "", "404"}, {FieldProto, "", "HTTP/1.1"},
		{FieldHeader, "X", "1"}, {FieldTrailer, "T", "2"}})
	want := &Head{Method: "GET", URL: "https://h/p?a=1&b=2&", Status: 404, Proto: "HTTP/1.1",
		Headers: []Header{{Name: "X", Value: "1"}}, Trailers: []Header{{Name: "T", Value: "2"}}}
	if err != nil || !reflect.DeepEqual(h, want) {
		t.Errorf("HeadOf: got %+v, %v; want %+v", h, err, want)
	}
	for _, tc := range []struct {
		fs   []Field
		want string
	}{
		{[]Field{{FieldQuery, "a", "a=1"}}, "field 0: a query pair without a URL"},
		{[]Field{{FieldMethod, "", "GET"}, {FieldQuery, "a", "a=1"}, {FieldURL, "", "u"}}, "field 1: a query pair without a URL"},
		{[]Field{{FieldProto, "", "HTTP/1.1"}, {FieldStatus, "", "0"}}, `field 1: status "0"`},
		{[]Field{{FieldStatus, "", "0200"}}, `field 0: status "0200"`},
		{[]Field{{FieldStatus, "", "+200"}}, `field 0: status "+200"`},
		{[]Field{{FieldStatus, "", "ok"}}, `field 0: status "ok"`},
		{[]Field{{FieldMethod, "", "GET"}, {"cookie", "", "x"}}, `field 1: unknown kind "cookie"`},
	} {
		if h, err := HeadOf(tc.fs); err == nil || err.Error() != tc.want {
			t.Errorf("HeadOf(%+v): got %+v, %v; want %q", tc.fs, h, err, tc.want)
		}
	}
	// Method, URL and status appear only when set; proto always.
	if fs := HeadFields(&Head{}); !reflect.DeepEqual(fs, []Field{{FieldProto, "", ""}}) {
		t.Errorf("HeadFields of an empty head: got %+v", fs)
	}
	if fs := HeadFields(nil); fs != nil {
		t.Errorf("HeadFields(nil): got %+v", fs)
	}
	if fs := HeadFields(&Head{URL: "u", Status: 1}); !reflect.DeepEqual(fs, []Field{{FieldURL, "", "u"}, {FieldStatus, "", "1"}, {FieldProto, "", ""}}) {
		t.Errorf("HeadFields with a URL and status 1: got %+v", fs)
	}
}

func TestHeadFields_Commitments(t *testing.T) {
	salt := []byte("0123456789abcdef")
	long := strings.Repeat("v", 123)
	f := Field{Kind: FieldHeader, Name: "Authorization-Extended", Value: long}
	want := hexSum(append(append([]byte{}, salt...), netstring(f.Kind)+netstring(f.Name)+netstring(f.Value)...))
	if got := Commit(salt, f); got != want {
		t.Errorf("Commit: got %s, want %s", got, want)
	}
	if got, want := Commit(nil, Field{Kind: FieldProto}), hexSum([]byte("5:proto,0:,0:,")); got != want {
		t.Errorf("Commit of an empty field, no salt: got %s, want %s", got, want)
	}
	if got, want := CommitmentsHash([]string{"aa", "bb"}), hexSum([]byte("aa\nbb\n")); got != want {
		t.Errorf("CommitmentsHash: got %s, want %s", got, want)
	}
	if got, want := CommitmentsHash(nil), hexSum(nil); got != want {
		t.Errorf("CommitmentsHash(nil): got %s, want %s", got, want)
	}

	h := &Head{Method: "GET", URL: "https://h/p?a=1", Proto: "HTTP/1.1"}
	salts := bytes.Repeat([]byte{1}, 4*SaltSize)
	for i := range salts {
		salts[i] = byte(i)
	}
	fs, cs, err := HeadCommitments(h, salts)
	if err != nil || len(fs) != 4 || len(cs) != 4 {
		t.Fatalf("HeadCommitments: got %d fields, %d commitments, %v; want 4", len(fs), len(cs), err)
	}
	s := &Salts{Head: salts}
	for i := range fs {
		if cs[i] != Commit(salts[i*SaltSize:(i+1)*SaltSize], fs[i]) || !bytes.Equal(s.HeadSalt(i), salts[i*SaltSize:(i+1)*SaltSize]) {
			t.Errorf("field %d: commitment %s with salt %x", i, cs[i], s.HeadSalt(i))
		}
	}
	for _, n := range []int{4*SaltSize - 1, 0} {
		if _, _, err := HeadCommitments(h, salts[:n]); err == nil || err.Error() != "leaf: "+strconv.Itoa(n)+" bytes of head salts for 4 fields, want 64" {
			t.Errorf("HeadCommitments with %d bytes of salts: got %v", n, err)
		}
	}
	if _, _, err := HeadCommitments(h, append(salts, 0)); err == nil || err.Error() != "leaf: 65 bytes of head salts for 4 fields, want 64" {
		t.Errorf("HeadCommitments with 65 bytes of salts: got %v", err)
	}

	r := &Record{Head: h}
	ns, err := newSalts(r)
	if err != nil || len(ns.Head) != 4*SaltSize || bytes.Equal(ns.Head, make([]byte, 4*SaltSize)) || ns.Body != nil || ns.Secrets != nil {
		t.Errorf("newSalts: got %+v, %v; want 64 random bytes of head salts", ns, err)
	}
	if ns, err := newSalts(&Record{}); err != nil || ns == nil || ns.Head != nil {
		t.Errorf("newSalts without a head: got %+v, %v", ns, err)
	}
}

func TestLeafData_BodyLinesAndVersion(t *testing.T) {
	meta, head := hexSum([]byte("m")), hexSum([]byte("h"))
	for _, tc := range []struct {
		name   string
		body   BodyRef
		sealed string
		want   Leaf
	}{
		{"nothing", BodyRef{}, "", Leaf{}},
		{"whole", BodyRef{SHA256: sum("abc"), Size: 3}, "", Leaf{BodySHA256: sum("abc"), BodySize: 3, StoredSHA256: sum("abc"), StoredSize: 3}},
		{"truncated", BodyRef{SHA256: sum("abcdef"), Size: 6, Truncated: true, StoredSHA256: sum("abc"), StoredSize: 3}, "",
			Leaf{BodySHA256: sum("abcdef"), BodySize: 6, StoredSHA256: sum("abc"), StoredSize: 3}},
		{"prefix only", BodyRef{Truncated: true, StoredSHA256: sum("abc"), StoredSize: 3}, "",
			Leaf{StoredSHA256: sum("abc"), StoredSize: 3}},
		{"sealed", BodyRef{SHA256: sum("abc"), Size: 3}, hexSum([]byte("seal")), Leaf{Sealed: hexSum([]byte("seal"))}},
	} {
		var l Leaf
		l.setBody(tc.body, tc.sealed)
		if l != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, l, tc.want)
		}
	}
	l := Leaf{Version: 2, Seq: 5, Capture: 4, Kind: KindRequest, Meta: meta, Head: head, Sealed: hexSum([]byte("seal"))}
	want := "telltale-leaf/v2\nseq 5\ncapture 4\nkind request\nmeta " + meta + "\nhead " + head +
		"\nbody sealed " + hexSum([]byte("seal")) + "\nstored sealed\n"
	if got := string(l.Encode()); got != want {
		t.Errorf("Encode of a sealed v2 leaf: got %q, want %q", got, want)
	}
	if p, err := ParseLeaf([]byte(want)); err != nil || p != l {
		t.Errorf("ParseLeaf of a sealed v2 leaf: got %+v, %v", p, err)
	}
	if leafVersion(&Record{}) != 1 || leafVersion(&Record{Salts: &Salts{}}) != 2 {
		t.Error("leafVersion: want 1 without salts, 2 with")
	}
	if (Leaf{Version: 1}).versionLine() != LeafVersion1 || (Leaf{Version: 2}).versionLine() != LeafVersion2 || (Leaf{}).versionLine() != LeafVersion1 {
		t.Error("versionLine")
	}
	// A v2 record's leaf commits to its head fields with their salts.
	r := &Record{Seq: 1, Capture: 1, Kind: KindRequest, Head: &Head{Method: "GET", Proto: "HTTP/1.1"}, Salts: &Salts{Head: make([]byte, 2*SaltSize)}}
	_, cs, _ := HeadCommitments(r.Head, r.Salts.Head)
	if hh, err := HeadHash(r); err != nil || hh != CommitmentsHash(cs) {
		t.Errorf("HeadHash of a v2 record: got %s, %v", hh, err)
	}
	r.Salts.Head = r.Salts.Head[1:]
	if _, err := LeafData(r); err == nil {
		t.Error("LeafData with short salts: no error")
	}
	if hh, err := HeadHash(&Record{}); hh != "" || err != nil {
		t.Errorf("HeadHash without a head: got %q, %v", hh, err)
	}
}

func TestParseLeaf_EachLineAndHash(t *testing.T) {
	meta, head := hexSum([]byte("m")), hexSum([]byte("h"))
	good := "telltale-leaf/v1\nseq 4\ncapture 3\nkind response\nmeta " + meta + "\nhead " + head +
		"\nbody " + sum("b") + " 1\nstored " + sum("b") + " 1\n"
	l, err := ParseLeaf([]byte(good))
	want := Leaf{Version: 1, Seq: 4, Capture: 3, Kind: KindResponse, Meta: meta, Head: head, BodySHA256: sum("b"), BodySize: 1,
		StoredSHA256: sum("b"), StoredSize: 1}
	if err != nil || l != want {
		t.Fatalf("ParseLeaf: got %+v, %v; want %+v", l, err, want)
	}
	noHead := strings.Replace(good, "head "+head, "head -", 1)
	if l, err := ParseLeaf([]byte(noHead)); err != nil || l.Head != "" {
		t.Errorf("ParseLeaf without a head: got %+v, %v", l, err)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"eight lines", strings.TrimSuffix(good, "stored "+sum("b")+" 1\n"), "parse leaf: not a telltale-leaf/v1 or telltale-leaf/v2 leaf"},
		{"a ninth line not empty", strings.TrimSuffix(good, "\n"), "parse leaf: not a telltale-leaf/v1 or telltale-leaf/v2 leaf"},
		{"no version", strings.Replace(good, "telltale-leaf/v1", "telltale-leaf/v", 1), "parse leaf: not a telltale-leaf/v1 or telltale-leaf/v2 leaf"},
		{"seq misnamed", strings.Replace(good, "seq 4", "Seq 4", 1), `parse leaf: line 2: want "seq"`},
		{"capture misnamed", strings.Replace(good, "capture 3", "capture:3", 1), `parse leaf: line 3: want "capture"`},
		{"kind misnamed", strings.Replace(good, "kind response", "kinds response", 1), `parse leaf: line 4: want "kind"`},
		{"meta misnamed", strings.Replace(good, "meta ", "mета ", 1), `parse leaf: line 5: want "meta"`},
		{"head misnamed", strings.Replace(good, "head ", "hd ", 1), `parse leaf: line 6: want "head"`},
		{"body misnamed", strings.Replace(good, "body ", "bodies ", 1), `parse leaf: line 7: want "body"`},
		{"stored misnamed", strings.Replace(good, "stored ", "store ", 1), `parse leaf: line 8: want "stored"`},
		{"seq not a number", strings.Replace(good, "seq 4", "seq four", 1), `parse leaf: seq: strconv.ParseUint: parsing "four": invalid syntax`},
		{"capture not a number", strings.Replace(good, "capture 3", "capture -3", 1), `parse leaf: capture: strconv.ParseUint: parsing "-3": invalid syntax`},
		{"body without its size", strings.Replace(good, "body "+sum("b")+" 1", "body "+sum("b"), 1), `parse leaf: body: want "<sha256> <size>" or "-"`},
		{"stored without its size", strings.Replace(good, "stored "+sum("b")+" 1", "stored "+sum("b"), 1), `parse leaf: stored: want "<sha256> <size>" or "-"`},
		{"a size not a number", strings.Replace(good, "stored "+sum("b")+" 1", "stored "+sum("b")+" one", 1), `parse leaf: stored: strconv.ParseInt: parsing "one": invalid syntax`},
		{"sealed in a v1 leaf", strings.Replace(strings.Replace(good, "body "+sum("b")+" 1", "body sealed "+sum("b"), 1), "stored "+sum("b")+" 1", "stored sealed", 1),
			`parse leaf: body: strconv.ParseInt: parsing "` + sum("b") + `": invalid syntax`},
		{"a meta not a hash", strings.Replace(good, meta, meta[1:], 1), "parse leaf: not canonical"},
		{"a head in upper case", strings.Replace(good, head, strings.ToUpper(head), 1), "parse leaf: not canonical"},
		{"a body hash too short", strings.Replace(good, "body "+sum("b"), "body "+sum("b")[2:], 1), "parse leaf: not canonical"},
		{"a stored hash not hex", strings.Replace(good, "stored "+sum("b"), "stored "+"x"+sum("b")[1:], 1), "parse leaf: not canonical"},
		{"a size with a plus", strings.Replace(good, "stored "+sum("b")+" 1", "stored "+sum("b")+" +1", 1), "parse leaf: not canonical"},
	} {
		if l, err := ParseLeaf([]byte(tc.data)); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %+v, %v; want %q", tc.name, l, err, tc.want)
		}
	}
	sealedV2 := "telltale-leaf/v2\nseq 4\ncapture 3\nkind response\nmeta " + meta + "\nhead -\nbody sealed " + head + "\nstored sealed\n"
	if l, err := ParseLeaf([]byte(sealedV2)); err != nil || l.Sealed != head || l.Version != 2 {
		t.Errorf("a sealed v2 leaf: got %+v, %v", l, err)
	}
	for name, data := range map[string]string{
		"a seal not a hash":           strings.Replace(sealedV2, "body sealed "+head, "body sealed "+head[1:], 1),
		"a sealed body, stored bytes": strings.Replace(sealedV2, "stored sealed", "stored "+sum("b")+" 1", 1),
	} {
		if _, err := ParseLeaf([]byte(data)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	for s, want := range map[string]bool{
		strings.Repeat("0", 64): true, strings.Repeat("9", 64): true, strings.Repeat("a", 64): true, strings.Repeat("f", 64): true,
		strings.Repeat("0", 63): false, strings.Repeat("0", 65): false, strings.Repeat("0", 63) + "g": false,
		strings.Repeat("0", 63) + "/": false, strings.Repeat("0", 63) + ":": false, strings.Repeat("0", 63) + "`": false,
		strings.Repeat("0", 63) + "A": false, "": false,
	} {
		if isSHA256(s) != want {
			t.Errorf("isSHA256(%q): got %v", s, !want)
		}
	}
}
