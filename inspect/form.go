package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"strings"
)

// multipart decodes each part of a multipart body as a child named by its
// form name, decoded by its own Content-Type (or its file name, or sniffing).
func (d *decoder) multipart(raw []byte, boundary string, depth int) (*Part, error) {
	if boundary == "" {
		return nil, errors.New("the Content-Type names no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(raw), boundary)
	p := d.newPart(TypeMultipart, raw)
	cursor := 0
	for i := 0; ; i++ {
		mp, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("read multipart: %w", err)
			}
			p.Error = fmt.Sprintf("multipart: %v", err)
			break
		}
		if !d.reserve() {
			addNote(p, d.partsNote())
			break
		}
		child, next := d.multipartPart(mp, raw, cursor, boundary, depth+1)
		cursor = next
		p.Children = append(p.Children, child)
	}
	return p, nil
}

// multipartPart decodes one part; cursor is where the search for its bytes
// in raw starts, and the returned int is where the next search starts.
func (d *decoder) multipartPart(mp *multipart.Part, raw []byte, cursor int, boundary string, depth int) (*Part, int) {
	body, err := io.ReadAll(io.LimitReader(mp, int64(len(raw))))
	off := partOffset(raw, cursor, boundary, body)
	if off >= 0 {
		body = raw[off : off+len(body)] // share the body's memory
		cursor = off + len(body)
	}
	ct := mp.Header.Get("Content-Type")
	name := mp.FileName()
	if name == "" {
		name = mp.FormName()
	}
	c := d.decode(body, hint{contentType: ct, name: name}, depth)
	c.Name = mp.FormName()
	c.Filename = mp.FileName()
	c.ContentType = ct
	c.Offset = int64(off)
	if err != nil {
		c.Error = fmt.Sprintf("multipart: %v", err)
	}
	if cte := mp.Header.Get("Content-Transfer-Encoding"); cte != "" && !strings.EqualFold(cte, "binary") &&
		!strings.EqualFold(cte, "8bit") && !strings.EqualFold(cte, "7bit") {
		addNote(c, fmt.Sprintf("Content-Transfer-Encoding %s not undone", cte))
	}
	return c, cursor
}

// partOffset finds where body starts in raw: right after the header block
// that follows the next boundary line at or after from. It returns -1 when
// the bytes there are not body.
func partOffset(raw []byte, from int, boundary string, body []byte) int {
	if from > len(raw) {
		return -1
	}
	b := bytes.Index(raw[from:], []byte("--"+boundary))
	if b < 0 {
		return -1
	}
	rest := raw[from+b:]
	end, sep := bytes.Index(rest, []byte("\r\n\r\n")), 4
	if lf := bytes.Index(rest, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end) {
		end, sep = lf, 2
	}
	if end < 0 {
		return -1
	}
	off := from + b + end + sep
	if off+len(body) > len(raw) || !bytes.Equal(raw[off:off+len(body)], body) {
		return -1
	}
	return off
}

// form decodes an application/x-www-form-urlencoded body: each field is a
// child named by its field name, in order.
func (d *decoder) form(raw []byte, depth int) (*Part, error) {
	fields, err := parseForm(string(raw))
	if err != nil {
		return nil, err
	}
	p := d.newPart(TypeForm, raw)
	for _, f := range fields {
		if !d.reserve() {
			addNote(p, d.partsNote())
			break
		}
		c := d.decodeString(f[1], depth+1)
		c.Name = f[0]
		p.Children = append(p.Children, c)
	}
	return p, nil
}

// parseForm splits a query string into ordered name/value pairs; unlike
// url.ParseQuery it keeps the order.
func parseForm(s string) ([][2]string, error) {
	var out [][2]string
	for _, kv := range strings.Split(strings.TrimSpace(s), "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("form field name: %w", err)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("form field %q: %w", key, err)
		}
		out = append(out, [2]string{key, val})
	}
	return out, nil
}
