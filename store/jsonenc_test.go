package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRecordJSON_KnowsEveryField: appendRecordJSON writes every field of
// the record's types; a field added to one of them must be added to it
// (and to recordShape), or records are encoded by json.Marshal again.
func TestRecordJSON_KnowsEveryField(t *testing.T) {
	if got := jsonShape(); got != recordShape {
		t.Errorf("the record's types changed; update appendRecordJSON and recordShape:\ngot  %s\nwant %s", got, recordShape)
	}
	if !handJSON {
		t.Error("handJSON is off")
	}
}

// TestRecordJSON_IsJSONMarshal: the hand encoding of random records, and
// of their meta, is json.Marshal's, byte for byte.
func TestRecordJSON_IsJSONMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 1))
	for i := range 3000 {
		r := randomRecord(rng)
		checkRecordJSON(t, i, r)
	}
}

func FuzzRecordJSON(f *testing.F) {
	f.Add("GET", "https://las.cloud.com/a?b=1&c=<2>", "Content-Type", "application/json", "10.0.0.1:5", "", int64(3), uint64(7))
	f.Add("\xff\xfe", "\u2028\u2029\x00\x1f\x7f", "\b\f\n\r\t", "\"\\", "é中😀", "x\xc3", int64(-1), uint64(0))
	f.Fuzz(func(t *testing.T, method, url, name, value, client, errText string, n int64, seq uint64) {
		r := &Record{Seq: seq, Capture: seq / 2, Kind: KindRequest, Time: time.Unix(0, n).UTC(), Client: client, Error: errText,
			Head:    &Head{Method: method, URL: url, Proto: "HTTP/1.1", Headers: []Header{{name, value}}, Trailers: []Header{{value, name}}},
			Body:    BodyRef{SHA256: value, Size: n, StoredSHA256: name, StoredSize: n},
			Process: &Process{PID: int(n), Name: name, Services: []string{value, url}, Unknown: errText},
			TLS:     &TLSInfo{ServerName: name, ALPN: value}, BytesUp: n, Duration: time.Duration(n)}
		checkRecordJSON(t, 0, r)
	})
}

func checkRecordJSON(t *testing.T, i int, r *Record) {
	t.Helper()
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendRecordJSON(nil, r, false)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("record %d: got %s, %v\nwant %s", i, got, err, want)
	}
	m := MetaOf(r)
	want, _ = json.Marshal(&m)
	if got, err = appendRecordJSON(nil, r, true); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("meta %d: got %s, %v\nwant %s", i, got, err, want)
	}
}

// randomRecord fills each field of a record, or leaves it zero, at random,
// with strings that need every kind of escaping.
func randomRecord(rng *rand.Rand) *Record {
	str := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		alphabet := []string{"a", "Z", "0", " ", "/", "?", "=", "&", "<", ">", "\"", "\\", "\n", "\t", "\r", "\b", "\f",
			"\x00", "\x01", "\x1f", "\x7f", "é", "中", "😀", "\u2028", "\u2029", "\xff", "\xc3", "\xe2\x80", "'", "+"}
		var b []byte
		for range rng.IntN(12) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		return string(b)
	}
	num := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return -rng.Int64N(1 << 40)
		}
		return rng.Int64()
	}
	tm := func() time.Time {
		if rng.IntN(4) == 0 {
			return time.Time{}
		}
		t := time.Unix(rng.Int64N(1<<34), rng.Int64N(1e9)*int64(rng.IntN(2)))
		return t.In(time.FixedZone("z", (rng.IntN(48)-24)*1800))
	}
	maybe := func() bool { return rng.IntN(2) == 0 }
	headers := func() []Header {
		if rng.IntN(4) == 0 {
			return nil
		}
		hs := make([]Header, rng.IntN(4))
		for i := range hs {
			hs[i] = Header{str(), str()}
		}
		return hs
	}
	bytesOf := func() []byte {
		if maybe() {
			return nil
		}
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	ref := func() BodyRef {
		return BodyRef{SHA256: str(), Size: num(), Truncated: maybe(), StoredSHA256: str(), StoredSize: num(), Pruned: maybe()}
	}
	r := &Record{Seq: rng.Uint64(), Capture: rng.Uint64() >> rng.IntN(64), Kind: Kind(str()), Time: tm(),
		Client: str(), Host: str(), Port: str(), Error: str(), Body: ref(),
		BytesUp: num(), BytesDown: num(), Duration: time.Duration(num())}
	if maybe() {
		r.Process = &Process{PID: int(num()), Name: str(), Image: str(), User: str(), Unknown: str()}
		if maybe() {
			r.Process.Services = []string{str(), str()}
		}
	}
	if maybe() {
		r.Head = &Head{Method: str(), URL: str(), Status: int(num() % 1000), Proto: str(), Headers: headers(), Trailers: headers()}
	}
	if maybe() {
		r.Salts = &Salts{Head: bytesOf(), Body: bytesOf(), Secrets: bytesOf()}
	}
	if maybe() {
		r.Seal = &Seal{Copy: str(), CopySize: num(), Form: str()}
		if maybe() {
			r.Seal.Secrets = []SealedSecret{{str(), str()}}
			if maybe() {
				r.Seal.Secrets = append(r.Seal.Secrets, SealedSecret{str(), str()})
			}
		} else if maybe() {
			r.Seal.Secrets = []SealedSecret{}
		}
	}
	if maybe() {
		r.TLS = &TLSInfo{ServerName: str(), Version: str(), CipherSuite: str(), ALPN: str(), LeafSHA256: str()}
	}
	if maybe() {
		r.Timings = &Timings{Start: tm(), Committed: tm(), FirstByte: tm(), End: tm()}
	}
	if maybe() {
		rb := ref()
		r.RequestBody = &rb
	}
	return r
}

// TestHeadHash_Fast: headHash, which the capture path takes, is
// HeadHash, which verification takes, over random heads (query strings
// with empty pairs and keys, statuses, trailers) and their salts.
func TestHeadHash_Fast(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 2))
	for i := range 2000 {
		r := randomRecord(rng)
		if r.Head == nil {
			continue
		}
		if rng.IntN(2) == 0 {
			r.Head.URL += []string{"?", "?a=1&&b", "?=x&y=", "?a=1&b=2&c"}[rng.IntN(4)]
		}
		var err error
		if r.Salts, err = newSalts(r); err != nil {
			t.Fatal(err)
		}
		want, err := HeadHash(r)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := headHash(r); got != want || err != nil {
			t.Fatalf("record %d: got %s, %v, want %s", i, got, err, want)
		}
	}
	r := &Record{Head: &Head{Method: "GET", Proto: "HTTP/1.1"}, Salts: &Salts{Head: make([]byte, SaltSize)}}
	_, want := HeadHash(r)
	if _, err := headHash(r); err == nil || err.Error() != want.Error() {
		t.Errorf("too few salts: got %v, want %v", err, want)
	}
}
