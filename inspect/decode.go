package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"path"
	"strings"
)

// Decode decodes body into a tree of parts, guided by meta and bounded by
// opts. It never fails: bytes that cannot be decoded become a text or bytes
// part, with an Error or Note saying why.
func Decode(body []byte, meta Meta, opts Options) *Part {
	o := opts.withDefaults()
	d := &decoder{opts: &o, parts: 1}
	h := hint{
		contentType: meta.ContentType,
		name:        meta.Name,
		encodings:   parseEncodings(meta.ContentEncoding),
	}
	p := d.decode(body, h, 0)
	p.Name = meta.Name
	p.Offset = 0
	return p
}

// decoder carries the budgets of one Decode call.
type decoder struct {
	opts  *Options
	total int64 // bytes produced by layers so far, against MaxTotal
	parts int   // parts reserved so far, against MaxParts
}

// hint is what is known about bytes before looking at them.
type hint struct {
	contentType string   // declared media type with parameters
	name        string   // file name; its extension is a weaker declaration
	encodings   []string // Content-Encoding chain still to undo, in header order
}

// reserve takes one part from the MaxParts budget. Every child is reserved
// before it is decoded, so a tree never holds more than MaxParts parts.
func (d *decoder) reserve() bool {
	if d.parts >= d.opts.MaxParts {
		return false
	}
	d.parts++
	return true
}

func (d *decoder) partsNote() string {
	return fmt.Sprintf("stopped: tree reached %d parts (MaxParts)", d.opts.MaxParts)
}

func (d *decoder) newPart(typ string, raw []byte) *Part {
	return &Part{Type: typ, Raw: raw, Size: int64(len(raw)), Offset: -1, opts: d.opts}
}

// decode decodes raw, whose part the caller has reserved.
func (d *decoder) decode(raw []byte, h hint, depth int) *Part {
	if depth > d.opts.MaxDepth {
		p := d.newPart(TypeBytes, raw)
		p.Note = fmt.Sprintf("not decoded: parts nest deeper than %d (MaxDepth)", d.opts.MaxDepth)
		return p
	}
	if len(h.encodings) > 0 {
		return d.decodeEncoding(raw, h, depth)
	}
	declared := declaredType(h)
	if declared != "" {
		p, err := d.decodeAs(declared, raw, h, depth)
		if err == nil {
			return p
		}
		p = d.sniff(raw, depth, declared)
		addNote(p, fmt.Sprintf("declared %s, but %v; decoded as %s", declared, err, p.Type))
		return p
	}
	return d.sniff(raw, depth, "")
}

// decodeAs decodes raw as typ, or says why raw is not a typ.
func (d *decoder) decodeAs(typ string, raw []byte, h hint, depth int) (*Part, error) {
	switch typ {
	case TypeGzip, TypeDeflate, TypeBrotli, TypeZstd:
		return d.layer(typ, raw, innerHint(h.name), depth)
	case TypeZip:
		return d.zip(raw, depth)
	case TypeTar:
		return d.tar(raw, depth)
	case TypeMultipart:
		return d.multipart(raw, boundary(h.contentType), depth)
	case TypeForm:
		return d.form(raw, depth)
	case TypeJWT:
		return d.jwt(raw, depth)
	case TypeJSON:
		return d.json(raw, depth)
	case TypeXML:
		return d.xml(raw, depth)
	case TypeText:
		if !isText(raw) {
			return nil, fmt.Errorf("the bytes are not UTF-8 text")
		}
		return d.text(raw), nil
	}
	return d.newPart(TypeBytes, raw), nil
}

// sniff decodes raw by what it looks like, skipping the type already tried.
// When bytes that look like a type fail to decode as it, the note says why.
func (d *decoder) sniff(raw []byte, depth int, tried string) *Part {
	var why string
	for _, typ := range sniffTypes(raw) {
		if typ == tried {
			continue
		}
		p, err := d.decodeAs(typ, raw, hint{}, depth)
		if err == nil {
			return p
		}
		if why == "" && (isMagic(typ) || errors.Is(err, errTooDeep)) {
			why = fmt.Sprintf("looks like %s, but %v", typ, err)
		}
	}
	p := d.newPart(TypeBytes, raw)
	if isText(raw) {
		p = d.text(raw)
	}
	if why != "" {
		addNote(p, why+"; decoded as "+p.Type)
	}
	return p
}

// isMagic reports whether sniffing finds typ by magic bytes, so that a
// failure to decode it is worth a note.
func isMagic(typ string) bool {
	switch typ {
	case TypeGzip, TypeZstd, TypeZip, TypeTar:
		return true
	}
	return false
}

func (d *decoder) text(raw []byte) *Part {
	p := d.newPart(TypeText, raw)
	p.Value = string(raw)
	return p
}

// sniffTypes lists the types raw may be, most specific first. Each
// candidate is confirmed by decoding it.
func sniffTypes(raw []byte) []string {
	var ts []string
	switch {
	case bytes.HasPrefix(raw, []byte{0x1f, 0x8b}):
		ts = append(ts, TypeGzip)
	case bytes.HasPrefix(raw, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		ts = append(ts, TypeZstd)
	case bytes.HasPrefix(raw, []byte("PK\x03\x04")), bytes.HasPrefix(raw, []byte("PK\x05\x06")):
		ts = append(ts, TypeZip)
	}
	if len(raw) >= 262 && bytes.Equal(raw[257:262], []byte("ustar")) {
		ts = append(ts, TypeTar)
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(t) > 0 && (t[0] == '{' || t[0] == '['):
		ts = append(ts, TypeJSON)
	case len(t) > 0 && t[0] == '<':
		ts = append(ts, TypeXML)
	case looksLikeJWT(string(raw)):
		ts = append(ts, TypeJWT)
	}
	return ts
}

// declaredType maps a Content-Type, or failing that a file extension, to a
// part type. Generic types declare nothing, so the bytes are sniffed.
func declaredType(h hint) string {
	if t := mediaType(h.contentType); t != "" {
		return t
	}
	return extensionType(h.name)
}

func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(strings.ToLower(contentType), ";")
		mt = strings.TrimSpace(mt)
	}
	switch {
	case mt == "", mt == "application/octet-stream", mt == "binary/octet-stream",
		mt == "application/binary", mt == "text/plain":
		// Generic: clients label JSON and gzip text/plain or octet-stream.
		return ""
	case mt == "application/json", mt == "text/json", strings.HasSuffix(mt, "+json"):
		return TypeJSON
	case mt == "application/xml", mt == "text/xml", strings.HasSuffix(mt, "+xml"):
		return TypeXML
	case mt == "application/x-www-form-urlencoded":
		return TypeForm
	case strings.HasPrefix(mt, "multipart/"):
		return TypeMultipart
	case mt == "application/zip", mt == "application/x-zip-compressed", mt == "application/x-zip":
		return TypeZip
	case mt == "application/gzip", mt == "application/x-gzip", mt == "application/x-tgz",
		mt == "application/x-compressed-tar":
		return TypeGzip
	case mt == "application/x-tar":
		return TypeTar
	case mt == "application/zstd":
		return TypeZstd
	case mt == "application/jwt":
		return TypeJWT
	case strings.HasPrefix(mt, "text/"):
		return TypeText
	}
	return ""
}

func extensionType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return TypeJSON
	case ".xml":
		return TypeXML
	case ".zip":
		return TypeZip
	case ".gz", ".tgz", ".gzip":
		return TypeGzip
	case ".tar":
		return TypeTar
	case ".br":
		return TypeBrotli
	case ".zst", ".zstd":
		return TypeZstd
	case ".jwt":
		return TypeJWT
	case ".txt", ".log", ".csv", ".ini", ".opt":
		return TypeText
	}
	return ""
}

// innerHint names what a compressed file holds: "a.json.gz" holds
// "a.json", "a.tgz" holds "a.tar".
func innerHint(name string) hint {
	ext := path.Ext(name)
	switch strings.ToLower(ext) {
	case ".tgz":
		return hint{name: strings.TrimSuffix(name, ext) + ".tar"}
	case ".gz", ".gzip", ".br", ".zst", ".zstd":
		return hint{name: strings.TrimSuffix(name, ext)}
	}
	return hint{}
}

func boundary(contentType string) string {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return params["boundary"]
}

func parseEncodings(header string) []string {
	var encs []string
	for _, e := range strings.Split(header, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && e != "identity" {
			encs = append(encs, e)
		}
	}
	return encs
}

func addNote(p *Part, note string) {
	if p.Note == "" {
		p.Note = note
		return
	}
	p.Note = note + "; " + p.Note
}
