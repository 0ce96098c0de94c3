package store

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestEncoded_Finish_MatchesFreshEncoding(t *testing.T) {
	for _, r := range []*Record{request("las.cloud.com", "/x?a=<b>&c"), response(41)} {
		r.Body = BodyRef{SHA256: sum("b"), Size: 3}
		enc, err := preEncode(r)
		if err != nil {
			t.Fatal(err)
		}
		r.Seq = 1234567
		if r.Capture == 0 {
			r.Capture = r.Seq
		}
		value, leaf, ok := enc.finish(r)
		if !ok {
			t.Fatalf("%s: splice refused the encoding %.40s", r.Kind, enc.value)
		}
		want, _ := json.Marshal(r)
		wantLeaf, _ := LeafData(r)
		if !bytes.Equal(value, want) {
			t.Errorf("%s value:\n got %s\nwant %s", r.Kind, value, want)
		}
		if !bytes.Equal(leaf, wantLeaf) {
			t.Errorf("%s leaf:\n got %s\nwant %s", r.Kind, leaf, wantLeaf)
		}
	}
}
