package evidence

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/telltale/telltale/store"
)

// streamMin is the body file size from which verification streams a body
// into the remade capture.har instead of reading it whole: a HAR entry
// holds its bodies as JSON text or base64, and a body read whole costs
// several times its size in memory.
const streamMin = 1 << 20

// harStream sits between the HAR writer and the hash of the remade
// capture.har. A large body that the entry shows as stored is handed to
// the writer as a random placeholder; when the entry is written, each
// placeholder is replaced by the body, encoded as it streams from the zip.
// Only bodies that are not decoded for the entry qualify: what a decoded
// body looks like depends on all of it.
type harStream struct {
	v      *bundleVerifier
	w      io.Writer
	stream map[string]bool // body files of this capture: true when they can be streamed
	tokens []bodyToken     // placeholders of the entry being made, in order
}

type bodyToken struct {
	token string // as the entry's JSON holds it
	name  string
	text  bool // shown as JSON text, else as base64
}

// prepare notes which body files of a capture can be streamed.
func (h *harStream) prepare(s *shown) {
	h.stream, h.tokens = map[string]bool{}, nil
	for _, r := range []struct {
		rec *store.Record
		e   *Entry
	}{{s.open, s.openE}, {s.resp, s.respE}} {
		if r.rec == nil || r.e == nil {
			continue
		}
		decoded := !r.rec.Body.Truncated && len(codings(header(r.rec.Head, "Content-Encoding"))) > 0
		h.mark(r.e.Body, !decoded)
		h.mark(r.e.BodyRedacted, true)
	}
}

func (h *harStream) mark(name string, ok bool) {
	if name == "" || h.v.listedSize(name) < streamMin {
		return
	}
	if prev, seen := h.stream[name]; seen {
		ok = ok && prev
	}
	h.stream[name] = ok
}

// source is the HAR writer's fileSource.
func (h *harStream) source(name string) ([]byte, error) {
	if !h.stream[name] {
		return h.v.source(name)
	}
	text, err := h.v.bodyIsText(name)
	if err != nil {
		return nil, err
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	if text {
		ph := "TELLTALE-BODY-" + hex.EncodeToString(rnd[:])
		h.tokens = append(h.tokens, bodyToken{ph, name, true})
		return []byte(ph), nil
	}
	ph := append([]byte{0}, rnd[:]...) // not text: harText shows it as base64
	h.tokens = append(h.tokens, bodyToken{base64.StdEncoding.EncodeToString(ph), name, false})
	return ph, nil
}

// Write writes what the HAR writer wrote, each placeholder replaced.
func (h *harStream) Write(p []byte) (int, error) {
	n := len(p)
	for _, t := range h.tokens {
		i := bytes.Index(p, []byte(t.token))
		if i < 0 {
			return 0, fmt.Errorf("the remade HAR entry lost the body of %s", t.name)
		}
		if _, err := h.w.Write(p[:i]); err != nil {
			return 0, err
		}
		if err := h.v.encodeBody(h.w, t); err != nil {
			return 0, err
		}
		p = p[i+len(t.token):]
	}
	h.tokens = nil
	_, err := h.w.Write(p)
	return n, err
}

// bodyIsText reads a proven body file through and tells whether harText
// shows it as text: valid UTF-8 without NUL.
func (v *bundleVerifier) bodyIsText(name string) (bool, error) {
	text := true
	err := v.runes(name, func(chunk []byte) error {
		text = text && utf8.Valid(chunk) && bytes.IndexByte(chunk, 0) < 0
		return nil
	})
	return text, err
}

// encodeBody writes a body file as the entry's JSON shows it.
func (v *bundleVerifier) encodeBody(w io.Writer, t bodyToken) error {
	if t.text {
		// JSON escapes rune by rune: chunks cut between runes encode to
		// what the whole body does.
		var dst []byte
		return v.runes(t.name, func(chunk []byte) error {
			dst = appendJSONText(dst[:0], chunk)
			_, err := w.Write(dst)
			return err
		})
	}
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if err := v.runes(t.name, func(chunk []byte) error { _, err := enc.Write(chunk); return err }); err != nil {
		return err
	}
	return enc.Close()
}

// runes calls fn with a proven file's bytes in chunks that end between
// UTF-8 sequences, where the bytes allow.
func (v *bundleVerifier) runes(name string, fn func([]byte) error) error {
	if err := v.proven(name); err != nil {
		return err
	}
	rc, err := v.open(v.files[name], v.listedSize(name))
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, err := io.ReadFull(rc, buf[carry:])
		n += carry
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fn(buf[:n])
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		cut := runeCut(buf[:n])
		if err := fn(buf[:cut]); err != nil {
			return err
		}
		carry = copy(buf, buf[cut:n])
	}
}

// runeCut is where b ends but for an unfinished UTF-8 sequence at its end.
func runeCut(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// appendJSONText appends text as encoding/json writes it inside a string,
// HTML characters escaped (json.Marshal's default), without the quotes.
// TestAppendJSONText holds it to json.Marshal.
func appendJSONText(dst, text []byte) []byte {
	const hexDigits = "0123456789abcdef"
	for i := 0; i < len(text); {
		b := text[i]
		if b < utf8.RuneSelf {
			switch {
			case b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&':
				dst = append(dst, b)
			case b == '"' || b == '\\':
				dst = append(dst, '\\', b)
			case b == '\b':
				dst = append(dst, '\\', 'b')
			case b == '\f':
				dst = append(dst, '\\', 'f')
			case b == '\n':
				dst = append(dst, '\\', 'n')
			case b == '\r':
				dst = append(dst, '\\', 'r')
			case b == '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			continue
		}
		c, size := utf8.DecodeRune(text[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			dst = append(dst, text[i:i+size]...)
		}
		i += size
	}
	return dst
}
