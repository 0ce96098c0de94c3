package inspect

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zstd"
)

// zipMethodZstd is the zip compression method number for zstd (APPNOTE 4.4.5).
const zipMethodZstd = 93

// zip decodes each file entry of a zip archive as a child named by its path.
func (d *decoder) zip(raw []byte, depth int) (*Part, error) {
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("read zip: %w", err)
	}
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return flate.NewReader(r) })
	zr.RegisterDecompressor(zipMethodZstd, d.zipZstd)
	p := d.newPart(TypeZip, raw)
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory
		}
		if !d.reserve() {
			addNote(p, d.partsNote())
			break
		}
		p.Children = append(p.Children, d.zipEntry(f, raw, depth+1))
	}
	return p, nil
}

func (d *decoder) zipZstd(r io.Reader) io.ReadCloser {
	zr, err := zstd.NewReader(r, zstdOptions(d.opts.MaxTotal)...)
	if err != nil {
		return io.NopCloser(errReader{err})
	}
	return zr.IOReadCloser()
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// zipEntry decodes one entry. A stored entry is decoded in place; a
// compressed one becomes a deflate or zstd layer over its compressed bytes.
func (d *decoder) zipEntry(f *zip.File, raw []byte, depth int) *Part {
	data, off := zipData(f, raw)
	typ := map[uint16]string{zip.Deflate: TypeDeflate, zipMethodZstd: TypeZstd}[f.Method]
	var p *Part
	switch {
	case depth > d.opts.MaxDepth:
		p = d.newPart(TypeBytes, data)
		p.Note = fmt.Sprintf("not decoded: parts nest deeper than %d (MaxDepth)", d.opts.MaxDepth)
	case f.Flags&0x1 != 0:
		p = d.newPart(TypeBytes, data)
		p.Note = "encrypted entry; not decoded"
	case f.Method == zip.Store && data != nil && uint64(len(data)) == f.UncompressedSize64:
		p = d.decode(data, hint{name: f.Name}, depth)
		if crc32.ChecksumIEEE(data) != f.CRC32 {
			p.Error = "zip: checksum error"
		}
	case typ != "":
		p = d.newPart(typ, data)
		d.zipInflate(p, f, depth)
	default:
		p = d.newPart(TypeBytes, data)
		p.Note = fmt.Sprintf("zip compression method %d is not supported; not decoded", f.Method)
	}
	p.Name = f.Name
	p.Offset = off
	if data == nil {
		p.Offset = -1
	}
	return p
}

func (d *decoder) zipInflate(p *Part, f *zip.File, depth int) {
	rc, err := f.Open()
	if err != nil {
		p.Error = fmt.Sprintf("zip: %v", err)
		return
	}
	defer rc.Close()
	out, rerr := d.readLimited(rc, int64(f.CompressedSize64))
	d.attachOutput(p, out, rerr, hint{name: f.Name}, depth)
}

// zipData returns an entry's compressed bytes as a slice of the archive,
// or nil when the directory points outside it.
func zipData(f *zip.File, raw []byte) ([]byte, int64) {
	off, err := f.DataOffset()
	size := f.CompressedSize64
	if err != nil || off < 0 || size > uint64(len(raw)) || uint64(off) > uint64(len(raw))-size {
		return nil, -1
	}
	return raw[off : off+int64(size)], off
}

// tar decodes each regular file of a tar archive as a child named by its
// path.
func (d *decoder) tar(raw []byte, depth int) (*Part, error) {
	br := bytes.NewReader(raw)
	tr := tar.NewReader(br)
	p := d.newPart(TypeTar, raw)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("read tar: %w", err)
			}
			p.Error = fmt.Sprintf("tar: %v", err)
			break
		}
		if !isRegular(hdr) {
			continue
		}
		if !d.reserve() {
			addNote(p, d.partsNote())
			break
		}
		start := int64(len(raw)) - int64(br.Len())
		p.Children = append(p.Children, d.tarEntry(tr, hdr, raw, start, depth+1))
	}
	return p, nil
}

func isRegular(h *tar.Header) bool {
	switch h.Typeflag {
	case tar.TypeReg, 0, tar.TypeGNUSparse:
		return true
	}
	return false
}

// tarEntry decodes one file. A plain file's bytes are a slice of the
// archive; a sparse one is read out, within the budgets.
func (d *decoder) tarEntry(tr *tar.Reader, hdr *tar.Header, raw []byte, start int64, depth int) *Part {
	data, inPlace, err := tarData(tr, hdr, raw, start)
	off := int64(-1)
	if inPlace {
		off = start
	} else if err == nil {
		data, err = d.readLimited(tr, int64(len(raw)))
	}
	p := d.decode(data, hint{name: hdr.Name}, depth)
	p.Name = hdr.Name
	p.Offset = off
	switch {
	case isLimit(err):
		addNote(p, "truncated: "+err.Error())
	case err != nil:
		p.Error = "tar: " + err.Error()
	}
	return p
}

// tarData returns a plain file's bytes in place, after checking that the
// reader agrees with the slice on the first bytes.
func tarData(tr *tar.Reader, hdr *tar.Header, raw []byte, start int64) ([]byte, bool, error) {
	if hdr.Typeflag == tar.TypeGNUSparse || hdr.Size < 0 || start+hdr.Size > int64(len(raw)) {
		return nil, false, nil
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return nil, false, nil
		}
	}
	data := raw[start : start+hdr.Size]
	head := make([]byte, min(len(data), 512))
	if _, err := io.ReadFull(tr, head); err != nil || !bytes.Equal(head, data[:len(head)]) {
		return nil, false, fmt.Errorf("entry bytes are not where the header says")
	}
	return data, true, nil
}
