package estate

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/telltale/telltale/archive"
)

// Source is where an archive is read from: the bucket, or an exported zip.
type Source interface {
	// Get returns the object at key, an error wrapping archive.ErrNotFound
	// when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the keys under prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

var (
	_ Source = (*archive.Bucket)(nil)
	_ Source = (*ZipSource)(nil)
)

// maxZipObject bounds one object read from a zip: a body is at most the
// capture limit, and a hostile zip must not make the verifier allocate
// what its header claims.
const maxZipObject = 1 << 30

// ZipSource reads an exported log (Export).
type ZipSource struct {
	files map[string]*zip.File
	keys  []string
}

// OpenZip reads the zip's directory.
func OpenZip(r io.ReaderAt, size int64) (*ZipSource, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("estate export: %w", err)
	}
	z := &ZipSource{files: map[string]*zip.File{}}
	for _, f := range zr.File {
		if _, dup := z.files[f.Name]; dup {
			return nil, fmt.Errorf("estate export: %s is in the zip twice", f.Name)
		}
		z.files[f.Name] = f
		z.keys = append(z.keys, f.Name)
	}
	slices.Sort(z.keys)
	return z, nil
}

// Get reads one file of the zip.
func (z *ZipSource) Get(_ context.Context, key string) ([]byte, error) {
	f, ok := z.files[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, archive.ErrNotFound)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(rc, maxZipObject+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if b.Len() > maxZipObject {
		return nil, fmt.Errorf("%s: larger than %d bytes", key, maxZipObject)
	}
	return b.Bytes(), nil
}

// List lists the zip's files under prefix.
func (z *ZipSource) List(_ context.Context, prefix string) ([]string, error) {
	var out []string
	for _, k := range z.keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out, nil
}

// notFound reports whether err is a missing object.
func notFound(err error) bool { return errors.Is(err, archive.ErrNotFound) }
