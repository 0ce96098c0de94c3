package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestRecordJSON_ParseIsUnmarshal: parseRecordJSON reads every value the
// hand encoder writes, random records' and their metas', into what
// json.Unmarshal gives.
func TestRecordJSON_ParseIsUnmarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 3))
	parsed := 0
	for range 3000 {
		r := randomRecord(rng)
		canonicalize(r) // a stored record's strings are valid UTF-8
		for _, meta := range []bool{false, true} {
			v, err := appendRecordJSON(nil, r, meta)
			if err != nil {
				t.Fatal(err)
			}
			if checkParse(t, v) {
				parsed++
			}
		}
	}
	if parsed < 5900 {
		t.Errorf("parsed %d of 6000 values, want nearly all (the rest has years past 9999)", parsed)
	}
}

// FuzzRecordJSON_Parse: whatever parseRecordJSON accepts, json.Unmarshal
// accepts too, with the same record.
func FuzzRecordJSON_Parse(f *testing.F) {
	rng := rand.New(rand.NewPCG(22, 4))
	for range 20 {
		v, err := appendRecordJSON(nil, randomRecord(rng), false)
		if err == nil {
			f.Add(v)
		}
	}
	f.Add([]byte(`{"seq":1,"capture":1,"kind":"request","time":"2025-01-01T00:00:00Z","head":{"proto":"","headers":[]},"body":{"sha256":"","size":0,"truncated":false}}`))
	f.Add([]byte(`{"seq":01,"capture":1}`))
	f.Fuzz(func(t *testing.T, v []byte) { checkParse(t, v) })
}

// checkParse reports whether parseRecordJSON took v, failing the test if
// its record is not json.Unmarshal's.
func checkParse(t *testing.T, v []byte) bool {
	t.Helper()
	got, ok := parseRecordJSON(v)
	if !ok {
		return false
	}
	var want Record
	if err := json.Unmarshal(v, &want); err != nil {
		t.Fatalf("parsed %s, which json.Unmarshal refuses: %v", v, err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("%s:\ngot  %+v\nwant %+v", v, *got, want)
	}
	return true
}
