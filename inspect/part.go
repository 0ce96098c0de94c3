package inspect

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Part types. A layer type (gzip, deflate, br, zstd, base64) has at most one
// child: the bytes it decodes to. A container type (zip, tar, multipart, form,
// jwt) has one child per entry. A document type (json, xml) has children only
// for string values that held an encoded document (see Part.Children).
const (
	TypeGzip      = "gzip"
	TypeDeflate   = "deflate"
	TypeBrotli    = "br"
	TypeZstd      = "zstd"
	TypeBase64    = "base64"
	TypeZip       = "zip"
	TypeTar       = "tar"
	TypeMultipart = "multipart"
	TypeForm      = "form"
	TypeJWT       = "jwt"
	TypeJSON      = "json"
	TypeXML       = "xml"
	TypeText      = "text"
	TypeBytes     = "bytes"
)

// Meta is what the transport said about a body.
type Meta struct {
	ContentType     string // the Content-Type header, parameters included
	ContentEncoding string // the Content-Encoding header, e.g. "gzip, br"
	Name            string // a file name, if known; its extension guides decoding
}

// Options bound the work Decode does on hostile input. Zero values mean the
// defaults given with each field.
type Options struct {
	// MaxDepth bounds how deeply parts nest (layers and containers). Default 16.
	MaxDepth int
	// MaxTotal bounds the bytes produced by all decompression and decoding
	// steps of one Decode call. Default 256 MiB.
	MaxTotal int64
	// MaxRatio bounds the expansion of one layer: its output may be at most
	// MaxRatio times its input, or 64 KiB, whichever is larger. Default 100.
	MaxRatio int64
	// MaxParts bounds the number of parts in the tree. Default 10000.
	MaxParts int
	// MaxNesting bounds the nesting of arrays and objects in one JSON
	// document and of elements in one XML document. Default 512.
	MaxNesting int
	// Figures are the rules Figures applies; zero lists mean
	// DefaultFigureRules' lists.
	Figures FigureRules
}

// Defaults for Options.
const (
	DefaultMaxDepth   = 16
	DefaultMaxTotal   = 256 << 20
	DefaultMaxRatio   = 100
	DefaultMaxParts   = 10000
	DefaultMaxNesting = 512

	// ratioFloor lets small bodies expand past MaxRatio: a 200-byte gzip of
	// a 30 KiB JSON document is ordinary, and 64 KiB harms no one.
	ratioFloor = 64 << 10
)

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxTotal <= 0 {
		o.MaxTotal = DefaultMaxTotal
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = DefaultMaxRatio
	}
	if o.MaxParts <= 0 {
		o.MaxParts = DefaultMaxParts
	}
	if o.MaxNesting <= 0 {
		o.MaxNesting = DefaultMaxNesting
	}
	o.Figures = o.Figures.withDefaults()
	return o
}

// Part is one node of a decoded body. Raw always holds the bytes the part
// was decoded from, so the tree can be walked back to the wire bytes; where
// Raw is a slice of the parent's decoded bytes, Offset says where.
//
// Parts share memory with the body given to Decode: the caller must not
// modify the body while the tree is in use.
type Part struct {
	// Type is one of the Type constants.
	Type string
	// Name names the part within its parent: an archive entry's path, a
	// form or multipart field name, "header"/"claims" under a jwt, or the
	// in-document path of the string a base64/jwt/json value was found in.
	// Layers that undo a Content-Encoding have no name. The root's Name is
	// Meta.Name.
	Name string
	// Filename is a multipart part's file name, if it has one.
	Filename string
	// ContentType is the media type declared for this part, if any.
	ContentType string
	// Offset is where Raw starts in the parent's decoded bytes: the
	// parent's Raw for containers, the parent's output for layers (0).
	// It is -1 when Raw is not a slice of them (a decompressed archive
	// entry, a percent-decoded form value, a string from a document).
	Offset int64
	// Size is len(Raw).
	Size int64
	// Raw is the bytes this part was decoded from.
	Raw []byte
	// Value is the decoded value: for json the parsed value (objects as
	// map[string]any, numbers as json.Number); for xml a *XMLElement; for
	// text a string; nil otherwise.
	Value any
	// Children are the decoded parts within this one.
	Children []*Part
	// Error says why decoding failed or stopped on corrupt bytes.
	Error string
	// Note says where a limit stopped decoding, where the bytes were not
	// what their headers claimed, or what was not checked.
	Note string

	tree *node    // json/xml: the document as a tree, strings linked to Children
	opts *Options // the options Decode ran with, for Figures
}

// Content returns the part that p's layers decode to: it follows gzip,
// deflate, br, zstd and base64 layers down to the first part of another
// type. A layer that failed to produce a child is its own content.
func (p *Part) Content() *Part {
	for p != nil && isLayer(p.Type) && len(p.Children) == 1 {
		p = p.Children[0]
	}
	return p
}

func isLayer(t string) bool {
	switch t {
	case TypeGzip, TypeDeflate, TypeBrotli, TypeZstd, TypeBase64:
		return true
	}
	return false
}

// Text returns the part's text: a text part's Value, or else Raw with
// invalid UTF-8 replaced by U+FFFD and control characters other than tab,
// newline and carriage return shown as '.'.
func (p *Part) Text() string {
	if s, ok := p.Value.(string); ok && p.Type == TypeText {
		return s
	}
	s := strings.ToValidUTF8(string(p.Raw), "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return '.'
		}
		return r
	}, s)
}

// Hex returns a hexdump -C style view of the first max bytes of Raw (all of
// them when max <= 0), followed by a line counting the bytes left out.
func (p *Part) Hex(max int) string {
	b := p.Raw
	if max <= 0 || max > len(b) {
		max = len(b)
	}
	s := hex.Dump(b[:max])
	if rest := len(b) - max; rest > 0 {
		s += fmt.Sprintf("... %d more bytes\n", rest)
	}
	return s
}

// isText reports whether b is valid UTF-8 without control characters other
// than common whitespace.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != '\f' {
			return false
		}
		if r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}
