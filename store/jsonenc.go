package store

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The record's JSON, written by hand: what json.Marshal gives, byte for
// byte (the stored value, and the meta whose hash the leaf holds), without
// its reflection, which cost the capture path a tenth of the proxy's CPU.
// jsonenc_test.go holds it to json.Marshal over random records; should a
// field be added to a type below without being added here, handJSON turns
// itself off (and that test fails), so a record is never encoded short of
// a field.

// handJSON is whether appendRecordJSON knows every field of the record's
// types (recordShape is jsonShape's answer).
var handJSON = jsonShape() == recordShape

// recordShape is every field of the record's types with its Go type and
// JSON tag, as appendRecordJSON writes them.
const recordShape = `Record{Seq uint64 "seq";Capture uint64 "capture";Kind store.Kind "kind";Time time.Time "time";Client string "client,omitempty";Host string "host,omitempty";Port string "port,omitempty";Error string "error,omitempty";Process *store.Process "process,omitempty";Head *store.Head "head,omitempty";Body store.BodyRef "body";Salts *store.Salts "salts,omitempty";Seal *store.Seal "seal,omitempty";TLS *store.TLSInfo "tls,omitempty";Timings *store.Timings "timings,omitempty";RequestBody *store.BodyRef "request_body,omitempty";BytesUp int64 "bytes_up,omitempty";BytesDown int64 "bytes_down,omitempty";Duration time.Duration "duration,omitempty";}` +
	`Process{PID int "pid,omitempty";Name string "name,omitempty";Image string "image,omitempty";Services []string "services,omitempty";User string "user,omitempty";Unknown string "unknown,omitempty";}` +
	`Head{Method string "method,omitempty";URL string "url,omitempty";Status int "status,omitempty";Proto string "proto";Headers []store.Header "headers";Trailers []store.Header "trailers,omitempty";}` +
	`Header{Name string "name";Value string "value";}` +
	`BodyRef{SHA256 string "sha256";Size int64 "size";Truncated bool "truncated";StoredSHA256 string "stored_sha256,omitempty";StoredSize int64 "stored_size,omitempty";Pruned bool "pruned,omitempty";}` +
	`Salts{Head []uint8 "head,omitempty";Body []uint8 "body,omitempty";Secrets []uint8 "secrets,omitempty";}` +
	`Seal{Copy string "copy";CopySize int64 "copy_size";Form string "form";Secrets []store.SealedSecret "secrets";}` +
	`SealedSecret{Path string "path";Commitment string "commitment";}` +
	`TLSInfo{ServerName string "server_name";Version string "version";CipherSuite string "cipher_suite";ALPN string "alpn,omitempty";LeafSHA256 string "leaf_sha256";}` +
	`Timings{Start time.Time "start";Committed time.Time "committed,omitzero";FirstByte time.Time "first_byte,omitzero";End time.Time "end,omitzero";}`

// jsonShape describes the fields of the record's types as recordShape
// does.
func jsonShape() string {
	var b strings.Builder
	for _, v := range []any{Record{}, Process{}, Head{}, Header{}, BodyRef{}, Salts{}, Seal{}, SealedSecret{}, TLSInfo{}, Timings{}} {
		t := reflect.TypeOf(v)
		b.WriteString(t.Name() + "{")
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(&b, "%s %s %q;", f.Name, f.Type, f.Tag.Get("json"))
		}
		b.WriteString("}")
	}
	return b.String()
}

// appendRecordJSON appends json.Marshal(r), or with meta set
// json.Marshal(MetaOf(r)). Its error is the one json.Marshal would give
// (a time outside years 0-9999).
func appendRecordJSON(b []byte, r *Record, meta bool) ([]byte, error) {
	var err error
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"capture":`...)
	b = strconv.AppendUint(b, r.Capture, 10)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, string(r.Kind))
	b = append(b, `,"time":`...)
	if b, err = appendJSONTime(b, r.Time); err != nil {
		return nil, err
	}
	b = appendOmitString(b, `,"client":`, r.Client)
	b = appendOmitString(b, `,"host":`, r.Host)
	b = appendOmitString(b, `,"port":`, r.Port)
	b = appendOmitString(b, `,"error":`, r.Error)
	if r.Process != nil {
		b = appendProcessJSON(append(b, `,"process":`...), r.Process)
	}
	if meta {
		b = append(b, `,"body":{"sha256":"","size":0,"truncated":false}`...)
	} else {
		if r.Head != nil {
			b = appendHeadJSON(append(b, `,"head":`...), r.Head)
		}
		b = appendBodyRefJSON(append(b, `,"body":`...), &r.Body)
		if r.Salts != nil {
			b = appendSaltsJSON(append(b, `,"salts":`...), r.Salts)
		}
		if r.Seal != nil {
			b = appendSealJSON(append(b, `,"seal":`...), r.Seal)
		}
	}
	if r.TLS != nil {
		b = appendTLSJSON(append(b, `,"tls":`...), r.TLS)
	}
	if r.Timings != nil {
		if b, err = appendTimingsJSON(append(b, `,"timings":`...), r.Timings); err != nil {
			return nil, err
		}
	}
	if r.RequestBody != nil {
		b = appendBodyRefJSON(append(b, `,"request_body":`...), r.RequestBody)
	}
	b = appendOmitInt(b, `,"bytes_up":`, r.BytesUp)
	b = appendOmitInt(b, `,"bytes_down":`, r.BytesDown)
	b = appendOmitInt(b, `,"duration":`, int64(r.Duration))
	return append(b, '}'), nil
}

func appendProcessJSON(b []byte, p *Process) []byte {
	n := len(b)
	b = append(b, '{')
	b = appendOmitInt(b, `,"pid":`, int64(p.PID))
	b = appendOmitString(b, `,"name":`, p.Name)
	b = appendOmitString(b, `,"image":`, p.Image)
	if len(p.Services) > 0 {
		b = append(b, `,"services":[`...)
		for i, s := range p.Services {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	b = appendOmitString(b, `,"user":`, p.User)
	b = appendOmitString(b, `,"unknown":`, p.Unknown)
	return closeObject(b, n)
}

// closeObject ends an object opened at b[n] whose members were each
// written with a leading comma: the first one's goes.
func closeObject(b []byte, n int) []byte {
	if len(b) > n+1 && b[n+1] == ',' {
		b = append(b[:n+1], b[n+2:]...)
	}
	return append(b, '}')
}

func appendHeadJSON(b []byte, h *Head) []byte {
	n := len(b)
	b = append(b, '{')
	b = appendOmitString(b, `,"method":`, h.Method)
	b = appendOmitString(b, `,"url":`, h.URL)
	b = appendOmitInt(b, `,"status":`, int64(h.Status))
	b = appendJSONString(append(b, `,"proto":`...), h.Proto)
	b = appendHeadersJSON(append(b, `,"headers":`...), h.Headers)
	if len(h.Trailers) > 0 {
		b = appendHeadersJSON(append(b, `,"trailers":`...), h.Trailers)
	}
	return closeObject(b, n)
}

func appendHeadersJSON(b []byte, hs []Header) []byte {
	if hs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(append(b, `{"name":`...), hs[i].Name)
		b = appendJSONString(append(b, `,"value":`...), hs[i].Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendBodyRefJSON(b []byte, r *BodyRef) []byte {
	b = appendJSONString(append(b, `{"sha256":`...), r.SHA256)
	b = strconv.AppendInt(append(b, `,"size":`...), r.Size, 10)
	b = strconv.AppendBool(append(b, `,"truncated":`...), r.Truncated)
	b = appendOmitString(b, `,"stored_sha256":`, r.StoredSHA256)
	b = appendOmitInt(b, `,"stored_size":`, r.StoredSize)
	if r.Pruned {
		b = append(b, `,"pruned":true`...)
	}
	return append(b, '}')
}

func appendSaltsJSON(b []byte, s *Salts) []byte {
	n := len(b)
	b = append(b, '{')
	for _, f := range []struct {
		name string
		v    []byte
	}{{`,"head":`, s.Head}, {`,"body":`, s.Body}, {`,"secrets":`, s.Secrets}} {
		if len(f.v) > 0 {
			b = append(append(b, f.name...), '"')
			b = base64.StdEncoding.AppendEncode(b, f.v)
			b = append(b, '"')
		}
	}
	return closeObject(b, n)
}

func appendSealJSON(b []byte, s *Seal) []byte {
	b = appendJSONString(append(b, `{"copy":`...), s.Copy)
	b = strconv.AppendInt(append(b, `,"copy_size":`...), s.CopySize, 10)
	b = appendJSONString(append(b, `,"form":`...), s.Form)
	b = append(b, `,"secrets":`...)
	if s.Secrets == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, sec := range s.Secrets {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(append(b, `{"path":`...), sec.Path)
			b = appendJSONString(append(b, `,"commitment":`...), sec.Commitment)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendTLSJSON(b []byte, t *TLSInfo) []byte {
	b = appendJSONString(append(b, `{"server_name":`...), t.ServerName)
	b = appendJSONString(append(b, `,"version":`...), t.Version)
	b = appendJSONString(append(b, `,"cipher_suite":`...), t.CipherSuite)
	b = appendOmitString(b, `,"alpn":`, t.ALPN)
	b = appendJSONString(append(b, `,"leaf_sha256":`...), t.LeafSHA256)
	return append(b, '}')
}

func appendTimingsJSON(b []byte, t *Timings) ([]byte, error) {
	b, err := appendJSONTime(append(b, `{"start":`...), t.Start)
	for _, f := range []struct {
		name string
		v    time.Time
	}{{`,"committed":`, t.Committed}, {`,"first_byte":`, t.FirstByte}, {`,"end":`, t.End}} {
		if err == nil && !f.v.IsZero() {
			b, err = appendJSONTime(append(b, f.name...), f.v)
		}
	}
	return append(b, '}'), err
}

// appendJSONTime is time.Time's MarshalJSON: RFC 3339 with nanoseconds,
// refused outside years 0-9999.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, fmt.Errorf("json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: %w", err)
	}
	return append(b, '"'), nil
}

func appendOmitString(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, name...), s)
}

func appendOmitInt(b []byte, name string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(append(b, name...), v, 10)
}

// appendJSONString is encoding/json's string encoding with HTML escaping,
// as json.Marshal writes it: <, > and & as \u003c, \u003e, \u0026, the
// control characters other than \b \f \n \r \t as \u00XX, invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
