package evidence

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// read reads a whole file from the zip, at most limit bytes.
func (v *bundleVerifier) read(name string, limit int64) ([]byte, error) {
	f := v.files[name]
	if f == nil {
		return nil, fmt.Errorf("%s is missing", name)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a bundle's %s can be", name, f.UncompressedSize64, limit, name)
	}
	rc, err := v.open(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %v (the zip is corrupt)", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %v (the zip is corrupt)", name, err)
	}
	return b, nil
}

// open opens a file of the zip to read at most limit bytes of it, or
// until the verification is cancelled.
func (v *bundleVerifier) open(f *zip.File, limit int64) (io.ReadCloser, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	r := &ctxReader{ctx: v.ctx, r: io.LimitReader(rc, limit)}
	return struct {
		io.Reader
		io.Closer
	}{r, rc}, nil
}

// ctxReader stops reading when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hash streams a listed file from the zip through SHA-256, reading at most
// one byte more than the manifest says it has.
func (v *bundleVerifier) hash(f *zip.File, declared int64) (string, int64, error) {
	if declared < 0 || declared > maxFile {
		return "", 0, fmt.Errorf("the manifest says %d bytes, a bundle's files have 0 to %d", declared, int64(maxFile))
	}
	rc, err := v.open(f, declared+1)
	if err != nil {
		return "", 0, fmt.Errorf("%v (the zip is corrupt)", err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", 0, fmt.Errorf("%v (the zip is corrupt)", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
