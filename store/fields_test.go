package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestHeadFields_RoundTrip(t *testing.T) {
	heads := []*Head{
		{Method: "POST", URL: "https://h/p?a=1&access_token=x&&b", Proto: "HTTP/1.1",
			Headers: []Header{{Name: "Authorization", Value: "Bearer x"}, {Name: "X", Value: ""}}},
		{Method: "GET", URL: "https://h/p?", Proto: "HTTP/2.0"},
		{Method: "CONNECT", URL: "h:443"},
		{Status: 404, Proto: "HTTP/1.1", Trailers: []Header{{Name: "Grpc-Status", Value: "0"}}},
	}
	for _, h := range heads {
		got, err := HeadOf(HeadFields(h))
		if err != nil || !reflect.DeepEqual(got, h) {
			t.Errorf("HeadOf(HeadFields(%+v)): got %+v, %v", h, got, err)
		}
	}
	fs := HeadFields(heads[0])
	want := []Field{{FieldMethod, "", "POST"}, {FieldURL, "", "https://h/p"}, {FieldQuery, "a", "a=1"},
		{FieldQuery, "access_token", "access_token=x"}, {FieldQuery, "", ""}, {FieldQuery, "b", "b"},
		{FieldProto, "", "HTTP/1.1"}, {FieldHeader, "Authorization", "Bearer x"}, {FieldHeader, "X", ""}}
	if !reflect.DeepEqual(fs, want) {
		t.Errorf("HeadFields: got %+v, want %+v", fs, want)
	}
}

// The commitment is computed here from its definition in doc.go, sharing
// nothing with Commit.
func netstring(s string) string { return fmt.Sprintf("%d:%s,", len(s), s) }

func TestLeafData_V2_CommitsToEachFieldWithItsSalt(t *testing.T) {
	s := newTestStore(t)
	r := request("example.com", "/x?access_token=1234")
	mustAppend(t, s, r, nil)
	got, err := s.Record(r.Seq)
	if err != nil {
		t.Fatal(err)
	}
	fs := HeadFields(got.Head)
	if got.Salts == nil || len(got.Salts.Head) != SaltSize*len(fs) {
		t.Fatalf("stored salts: got %+v, want %d bytes", got.Salts, SaltSize*len(fs))
	}
	var list strings.Builder
	seen := map[string]bool{}
	for i, f := range fs {
		salt := got.Salts.Head[i*SaltSize : (i+1)*SaltSize]
		if seen[string(salt)] {
			t.Errorf("field %d reuses a salt", i)
		}
		seen[string(salt)] = true
		c := sha256.Sum256(append(append([]byte{}, salt...), netstring(f.Kind)+netstring(f.Name)+netstring(f.Value)...))
		list.WriteString(hex.EncodeToString(c[:]) + "\n")
	}
	head := sha256.Sum256([]byte(list.String()))
	meta, _ := MetaHash(got)
	want := fmt.Sprintf("telltale-leaf/v2\nseq 1\ncapture 1\nkind request\nmeta %s\nhead %x\nbody -\nstored -\n", meta, head)
	leaf, err := LeafData(got)
	if err != nil || string(leaf) != want {
		t.Errorf("LeafData: got %q, %v, want %q", leaf, err, want)
	}
	if th, _ := s.TreeHash(1); th != mth([][]byte{[]byte(want)}) {
		t.Errorf("TreeHash(1): got %v, want the hash of the v2 leaf", th)
	}
	if m := MetaOf(got); m.Salts != nil || bytes.Contains(mustJSONBytes(t, &m), got.Salts.Head[:4]) {
		t.Errorf("MetaOf keeps the salts: %+v", m)
	}
	got.Salts.Head[0] ^= 1
	if other, _ := LeafData(got); bytes.Equal(other, leaf) {
		t.Errorf("LeafData: a changed salt gives the same leaf")
	}
	got.Salts.Head = got.Salts.Head[1:]
	if _, err := LeafData(got); err == nil {
		t.Errorf("LeafData with short salts: got nil error, want one")
	}
}

func TestStore_Append_SaltsDiffer(t *testing.T) {
	s := newTestStore(t)
	a, b := request("example.com", "/same"), request("example.com", "/same")
	mustAppend(t, s, a, nil)
	mustAppend(t, s, b, nil)
	if bytes.Equal(a.Salts.Head, b.Salts.Head) {
		t.Errorf("two records got the same salts %x", a.Salts.Head)
	}
	ha, _ := HeadHash(a)
	hb, _ := HeadHash(b)
	if ha == hb {
		t.Errorf("equal heads with fresh salts: got the same head line %s", ha)
	}
}
