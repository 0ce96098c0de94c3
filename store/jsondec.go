package store

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// parseRecordJSON reads a record's stored value as json.Unmarshal would,
// when the value is in the form appendRecordJSON writes (the fields in
// order, no space, no field it does not know): every record this store
// wrote since the hand encoder. Anything else, an older record's form
// included, it leaves to json.Unmarshal (ok false). Reading records was
// the analyzer's largest cost; jsondec_test.go holds this to
// json.Unmarshal over random and fuzzed values.
func parseRecordJSON(v []byte) (r *Record, ok bool) {
	if !handJSON {
		return nil, false
	}
	d := jsonReader{b: v}
	r = &Record{}
	d.object(" seq capture kind time client host port error process head body salts seal tls timings request_body bytes_up bytes_down duration ", func(key string) bool {
		switch key {
		case "seq":
			r.Seq = d.uint()
		case "capture":
			r.Capture = d.uint()
		case "kind":
			r.Kind = Kind(d.str())
		case "time":
			r.Time = d.time()
		case "client":
			r.Client = d.str()
		case "host":
			r.Host = d.str()
		case "port":
			r.Port = d.str()
		case "error":
			r.Error = d.str()
		case "process":
			r.Process = d.process()
		case "head":
			r.Head = d.head()
		case "body":
			r.Body = d.bodyRef()
		case "salts":
			r.Salts = d.salts()
		case "seal":
			r.Seal = d.seal()
		case "tls":
			r.TLS = d.tls()
		case "timings":
			r.Timings = d.timings()
		case "request_body":
			b := d.bodyRef()
			r.RequestBody = &b
		case "bytes_up":
			r.BytesUp = d.int()
		case "bytes_down":
			r.BytesDown = d.int()
		case "duration":
			r.Duration = time.Duration(d.int())
		default:
			return false
		}
		return true
	})
	if d.bad || d.i != len(d.b) {
		return nil, false
	}
	return r, true
}

// jsonReader reads the compact JSON appendRecordJSON writes; bad is set
// at the first byte it does not expect, and every read after is a no-op.
type jsonReader struct {
	b   []byte
	i   int
	bad bool
}

func (d *jsonReader) peek() byte {
	if d.bad || d.i >= len(d.b) {
		d.bad = true
		return 0
	}
	return d.b[d.i]
}

func (d *jsonReader) expect(c byte) {
	if d.peek() != c {
		d.bad = true
		return
	}
	d.i++
}

func (d *jsonReader) literal(s string) bool {
	if d.bad || len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		return false
	}
	d.i += len(s)
	return true
}

// object reads {"key":value,...}, calling member to read each value. The
// keys must come in the order of keys, each at most once, as
// appendRecordJSON writes them (json.Unmarshal would merge a repeated
// object); another key, or member's false, ends the read as bad.
func (d *jsonReader) object(keys string, member func(key string) bool) {
	d.expect('{')
	if d.peek() == '}' {
		d.i++
		return
	}
	for !d.bad {
		key := d.str()
		d.expect(':')
		at := strings.Index(keys, " "+key+" ")
		if d.bad || at < 0 || !member(key) {
			d.bad = true
			return
		}
		keys = keys[at+len(key)+1:]
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return
		default:
			d.bad = true
		}
	}
}

// array reads [value,...] (elem reads each), or null; it reports whether
// it was null.
func (d *jsonReader) array(elem func()) (null bool) {
	if d.literal("null") {
		return true
	}
	d.expect('[')
	if d.peek() == ']' {
		d.i++
		return false
	}
	for !d.bad {
		elem()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return false
		default:
			d.bad = true
		}
	}
	return false
}

// str reads a string: plain bytes, and the escapes appendJSONString
// writes. A surrogate escape, a control character or invalid UTF-8 is
// left to json.Unmarshal, which has its own way with them.
func (d *jsonReader) str() string {
	d.expect('"')
	start, plain := d.i, true
	for !d.bad && d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			if plain {
				if !utf8.Valid(s) {
					d.bad = true
				}
				return string(s)
			}
			return d.unescape(s)
		case c == '\\':
			plain = false
			d.i += 2
		case c < 0x20:
			d.bad = true
		default:
			d.i++
		}
	}
	d.bad = true
	return ""
}

func (d *jsonReader) unescape(s []byte) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i++; i >= len(s) {
			d.bad = true
			return ""
		}
		switch s[i] {
		case '"', '\\', '/':
			out = append(out, s[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+4 >= len(s) {
				d.bad = true
				return ""
			}
			n, err := strconv.ParseUint(string(s[i+1:i+5]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(n)) {
				d.bad = true
				return ""
			}
			out = utf8.AppendRune(out, rune(n))
			i += 4
		default:
			d.bad = true
			return ""
		}
	}
	if !utf8.Valid(out) {
		d.bad = true
	}
	return string(out)
}

// digits reads an integer's digits, an optional '-' first when signed.
func (d *jsonReader) digits(signed bool) []byte {
	start := d.i
	if signed && d.peek() == '-' {
		d.i++
	}
	first := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	if n := d.i - first; n == 0 || n > 1 && d.b[first] == '0' {
		d.bad = true // JSON has no leading zeros
	}
	return d.b[start:d.i]
}

func (d *jsonReader) uint() uint64 {
	n, err := strconv.ParseUint(string(d.digits(false)), 10, 64)
	if err != nil {
		d.bad = true
	}
	return n
}

func (d *jsonReader) int() int64 {
	n, err := strconv.ParseInt(string(d.digits(true)), 10, 64)
	if err != nil {
		d.bad = true
	}
	return n
}

func (d *jsonReader) bool() bool {
	switch {
	case d.literal("true"):
		return true
	case d.literal("false"):
		return false
	}
	d.bad = true
	return false
}

func (d *jsonReader) time() time.Time {
	start := d.i
	if s := d.str(); d.bad || len(s) != d.i-start-2 {
		d.bad = true // escaped: time.Time's UnmarshalJSON does not unescape
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalJSON(d.b[start:d.i]); err != nil {
		d.bad = true
	}
	return t
}

func (d *jsonReader) bytes() []byte {
	s := d.str()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		d.bad = true
	}
	return b
}

func (d *jsonReader) process() *Process {
	p := &Process{}
	d.object(" pid name image services user unknown ", func(key string) bool {
		switch key {
		case "pid":
			p.PID = int(d.int())
		case "name":
			p.Name = d.str()
		case "image":
			p.Image = d.str()
		case "services":
			p.Services = []string{}
			if d.array(func() { p.Services = append(p.Services, d.str()) }) {
				p.Services = nil
			}
		case "user":
			p.User = d.str()
		case "unknown":
			p.Unknown = d.str()
		default:
			return false
		}
		return true
	})
	return p
}

func (d *jsonReader) head() *Head {
	h := &Head{}
	d.object(" method url status proto headers trailers ", func(key string) bool {
		switch key {
		case "method":
			h.Method = d.str()
		case "url":
			h.URL = d.str()
		case "status":
			h.Status = int(d.int())
		case "proto":
			h.Proto = d.str()
		case "headers":
			h.Headers = d.headers()
		case "trailers":
			h.Trailers = d.headers()
		default:
			return false
		}
		return true
	})
	return h
}

func (d *jsonReader) headers() []Header {
	hs := []Header{}
	null := d.array(func() {
		var f Header
		d.object(" name value ", func(key string) bool {
			switch key {
			case "name":
				f.Name = d.str()
			case "value":
				f.Value = d.str()
			default:
				return false
			}
			return true
		})
		hs = append(hs, f)
	})
	if null {
		return nil
	}
	return hs
}

func (d *jsonReader) bodyRef() BodyRef {
	var b BodyRef
	d.object(" sha256 size truncated stored_sha256 stored_size pruned ", func(key string) bool {
		switch key {
		case "sha256":
			b.SHA256 = d.str()
		case "size":
			b.Size = d.int()
		case "truncated":
			b.Truncated = d.bool()
		case "stored_sha256":
			b.StoredSHA256 = d.str()
		case "stored_size":
			b.StoredSize = d.int()
		case "pruned":
			b.Pruned = d.bool()
		default:
			return false
		}
		return true
	})
	return b
}

func (d *jsonReader) salts() *Salts {
	s := &Salts{}
	d.object(" head body secrets ", func(key string) bool {
		switch key {
		case "head":
			s.Head = d.bytes()
		case "body":
			s.Body = d.bytes()
		case "secrets":
			s.Secrets = d.bytes()
		default:
			return false
		}
		return true
	})
	return s
}

func (d *jsonReader) seal() *Seal {
	s := &Seal{}
	d.object(" copy copy_size form secrets ", func(key string) bool {
		switch key {
		case "copy":
			s.Copy = d.str()
		case "copy_size":
			s.CopySize = d.int()
		case "form":
			s.Form = d.str()
		case "secrets":
			s.Secrets = []SealedSecret{}
			null := d.array(func() {
				var sec SealedSecret
				d.object(" path commitment ", func(key string) bool {
					switch key {
					case "path":
						sec.Path = d.str()
					case "commitment":
						sec.Commitment = d.str()
					default:
						return false
					}
					return true
				})
				s.Secrets = append(s.Secrets, sec)
			})
			if null {
				s.Secrets = nil
			}
		default:
			return false
		}
		return true
	})
	return s
}

func (d *jsonReader) tls() *TLSInfo {
	t := &TLSInfo{}
	d.object(" server_name version cipher_suite alpn leaf_sha256 ", func(key string) bool {
		switch key {
		case "server_name":
			t.ServerName = d.str()
		case "version":
			t.Version = d.str()
		case "cipher_suite":
			t.CipherSuite = d.str()
		case "alpn":
			t.ALPN = d.str()
		case "leaf_sha256":
			t.LeafSHA256 = d.str()
		default:
			return false
		}
		return true
	})
	return t
}

func (d *jsonReader) timings() *Timings {
	t := &Timings{}
	d.object(" start committed first_byte end ", func(key string) bool {
		switch key {
		case "start":
			t.Start = d.time()
		case "committed":
			t.Committed = d.time()
		case "first_byte":
			t.FirstByte = d.time()
		case "end":
			t.End = d.time()
		default:
			return false
		}
		return true
	})
	return t
}
