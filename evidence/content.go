package evidence

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/telltale/telltale/store"
)

// maxDecoded bounds a decoded body, against compression bombs.
const maxDecoded = 256 << 20

// header returns the first value of a header, by case-insensitive name.
func header(h *store.Head, name string) string {
	if h == nil {
		return ""
	}
	for _, f := range h.Headers {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// mediaType is the lowercase media type of a Content-Type value.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// codings lists a Content-Encoding value's codings, in the order they
// were applied, without identity.
func codings(contentEncoding string) []string {
	var out []string
	for _, c := range strings.Split(contentEncoding, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
			out = append(out, c)
		}
	}
	return out
}

// decodeContent undoes a Content-Encoding (gzip, deflate, br, in any
// chain). It fails on a coding it does not know, on bytes that do not
// decode, and past maxDecoded.
func decodeContent(contentEncoding string, data []byte) ([]byte, error) {
	cs := codings(contentEncoding)
	for i := len(cs) - 1; i >= 0; i-- {
		var r io.Reader
		var err error
		switch cs[i] {
		case "gzip", "x-gzip":
			r, err = gzip.NewReader(bytes.NewReader(data))
		case "deflate":
			// RFC 9110 deflate is zlib; some servers send raw deflate.
			if r, err = zlib.NewReader(bytes.NewReader(data)); err != nil {
				r, err = flate.NewReader(bytes.NewReader(data)), nil
			}
		case "br":
			r = brotli.NewReader(bytes.NewReader(data))
		default:
			return nil, fmt.Errorf("content coding %q", cs[i])
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cs[i], err)
		}
		out, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cs[i], err)
		}
		if len(out) > maxDecoded {
			return nil, fmt.Errorf("%s: decodes to more than %d bytes", cs[i], maxDecoded)
		}
		data = out
	}
	return data, nil
}

// leafBody is the BodyRef a leaf pins down (every field but Pruned; see
// store/doc.go).
func leafBody(l store.Leaf) store.BodyRef {
	switch {
	case l.BodySHA256 == "" && l.StoredSHA256 == "":
		return store.BodyRef{}
	case l.BodySHA256 == "":
		return store.BodyRef{Size: -1, Truncated: true, StoredSHA256: l.StoredSHA256, StoredSize: l.StoredSize}
	case l.StoredSHA256 == "" || l.StoredSHA256 == l.BodySHA256 && l.StoredSize == l.BodySize:
		return store.BodyRef{SHA256: l.BodySHA256, Size: l.BodySize}
	}
	return store.BodyRef{SHA256: l.BodySHA256, Size: l.BodySize, Truncated: true,
		StoredSHA256: l.StoredSHA256, StoredSize: l.StoredSize}
}
