package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// limitError marks output cut short by MaxRatio or MaxTotal.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

func isLimit(err error) bool {
	var le *limitError
	return errors.As(err, &le)
}

// decodeEncoding undoes the last Content-Encoding of h (the one applied
// last) and decodes the rest under it.
func (d *decoder) decodeEncoding(raw []byte, h hint, depth int) *Part {
	n := len(h.encodings)
	enc := h.encodings[n-1]
	inner := h
	inner.encodings = h.encodings[:n-1]
	typ := encodingType(enc)
	if typ == "" {
		p := d.decode(raw, inner, depth)
		addNote(p, fmt.Sprintf("Content-Encoding %q is not known; left as is", enc))
		return p
	}
	p, err := d.layer(typ, raw, inner, depth)
	if err != nil {
		p = d.decode(raw, inner, depth)
		addNote(p, fmt.Sprintf("declared Content-Encoding %s, but %v; decoded as is", enc, err))
	}
	return p
}

func encodingType(enc string) string {
	switch enc {
	case "gzip", "x-gzip":
		return TypeGzip
	case "deflate":
		return TypeDeflate
	case "br":
		return TypeBrotli
	case "zstd":
		return TypeZstd
	}
	return ""
}

// layer decompresses raw as typ and decodes the output as its only child.
// It fails only when raw is not typ at all; corrupt or truncated streams
// keep what was decoded and say so in Error.
func (d *decoder) layer(typ string, raw []byte, inner hint, depth int) (*Part, error) {
	r, closer, err := openLayer(typ, raw, d.layerLimit(int64(len(raw))))
	if err != nil {
		return nil, fmt.Errorf("the bytes are not %s: %w", typ, err)
	}
	defer closer()
	out, rerr := d.readLimited(r, int64(len(raw)))
	if rerr != nil && !isLimit(rerr) && len(out) == 0 {
		return nil, fmt.Errorf("the bytes are not %s: %w", typ, rerr)
	}
	p := d.newPart(typ, raw)
	d.attachOutput(p, out, rerr, inner, depth)
	return p, nil
}

// attachOutput decodes a layer's output as the layer's child, unless a
// limit cut the output short: then the prefix is kept undecoded.
func (d *decoder) attachOutput(p *Part, out []byte, rerr error, inner hint, depth int) {
	if !d.reserve() {
		addNote(p, d.partsNote())
		return
	}
	var child *Part
	switch {
	case isLimit(rerr):
		child = d.newPart(TypeBytes, out)
		addNote(p, rerr.Error())
		addNote(child, "truncated: a limit stopped decompression; not decoded further")
	default:
		if rerr != nil {
			p.Error = rerr.Error()
			if !strings.HasPrefix(p.Error, p.Type) {
				p.Error = p.Type + ": " + p.Error
			}
		}
		child = d.decode(out, inner, depth+1)
	}
	child.Offset = 0
	p.Children = []*Part{child}
}

// openLayer returns a reader of raw's decompressed bytes.
func openLayer(typ string, raw []byte, limit int64) (io.Reader, func(), error) {
	br := bytes.NewReader(raw)
	nop := func() {}
	switch typ {
	case TypeGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nop, err
		}
		return zr, func() { zr.Close() }, nil
	case TypeDeflate:
		// HTTP deflate is zlib-wrapped, but some servers send raw deflate.
		if zr, err := zlib.NewReader(br); err == nil {
			return zr, func() { zr.Close() }, nil
		}
		fr := flate.NewReader(bytes.NewReader(raw))
		return fr, func() { fr.Close() }, nil
	case TypeBrotli:
		return brotli.NewReader(br), nop, nil
	case TypeZstd:
		zr, err := zstd.NewReader(br, zstdOptions(limit)...)
		if err != nil {
			return nil, nop, err
		}
		return zr, zr.Close, nil
	}
	return nil, nop, fmt.Errorf("unknown layer %q", typ)
}

func zstdOptions(limit int64) []zstd.DOption {
	mem := uint64(limit) + 1
	return []zstd.DOption{
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(mem),
		zstd.WithDecoderMaxWindow(min(mem, 1<<30)),
	}
}

// layerLimit is the most one layer with in input bytes may produce.
func (d *decoder) layerLimit(in int64) int64 {
	ratio := int64(math.MaxInt64)
	if in == 0 || d.opts.MaxRatio <= math.MaxInt64/in {
		ratio = max(in*d.opts.MaxRatio, ratioFloor)
	}
	return max(min(ratio, d.opts.MaxTotal-d.total), 0)
}

// readLimited reads r to the end within the layer and total budgets. When a
// budget runs out it returns the bytes read so far and an error wrapping
// *limitError that names the limit.
func (d *decoder) readLimited(r io.Reader, in int64) ([]byte, error) {
	limit := d.layerLimit(in)
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	out := buf.Bytes()
	if n > limit {
		out = out[:limit]
		err = d.limitErr(in, limit)
	}
	d.total += int64(len(out))
	return out, err
}

func (d *decoder) limitErr(in, limit int64) error {
	if limit >= d.opts.MaxTotal-d.total {
		return &limitError{fmt.Sprintf(
			"stopped after %d bytes: all layers together may produce at most %d bytes (MaxTotal)",
			limit, d.opts.MaxTotal)}
	}
	return &limitError{fmt.Sprintf(
		"stopped after %d bytes: a layer may expand its %d input bytes at most %dx (MaxRatio)",
		limit, in, d.opts.MaxRatio)}
}
