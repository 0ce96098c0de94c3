package evidence

import (
	"archive/zip"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// bundleWriter writes the files of a bundle into a zip and remembers the
// SHA-256 and size of each, for the manifest.
type bundleWriter struct {
	zw       *zip.Writer
	modified time.Time
	files    []FileInfo
	names    map[string]bool
}

func newBundleWriter(w io.Writer, modified time.Time) *bundleWriter {
	return &bundleWriter{zw: zip.NewWriter(w), modified: modified, names: map[string]bool{}}
}

func (b *bundleWriter) has(name string) bool { return b.names[name] }

// add writes a listed file.
func (b *bundleWriter) add(name string, r io.Reader) error {
	info, err := b.write(name, r)
	if err != nil {
		return err
	}
	b.files = append(b.files, info)
	return nil
}

func (b *bundleWriter) addBytes(name string, data []byte) error {
	return b.add(name, strings.NewReader(string(data)))
}

// write writes a file, listed or not.
func (b *bundleWriter) write(name string, r io.Reader) (FileInfo, error) {
	if b.names[name] {
		return FileInfo{}, fmt.Errorf("bundle: %s written twice", name)
	}
	b.names[name] = true
	fw, err := b.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: b.modified})
	if err != nil {
		return FileInfo{}, fmt.Errorf("bundle: %s: %w", name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(fw, h), r)
	if err != nil {
		return FileInfo{}, fmt.Errorf("bundle: %s: %w", name, err)
	}
	return FileInfo{Name: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// sorted returns the listed files by name.
func (b *bundleWriter) sorted() []FileInfo {
	files := slices.Clone(b.files)
	slices.SortFunc(files, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return files
}

func (b *bundleWriter) close() error {
	if err := b.zw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// sums is SHA256SUMS: sha256sum -c input for the given files.
func sums(files []FileInfo) []byte {
	var s strings.Builder
	for _, f := range files {
		fmt.Fprintf(&s, "%s  %s\n", f.SHA256, f.Name)
	}
	return []byte(s.String())
}

// manifestNote is the text manifest.sig signs.
func manifestNote(manifestSHA256 string) string {
	return fmt.Sprintf("%s\n%s  %s\n", manifestSigTitle, manifestSHA256, FileManifest)
}

// openZip reads a bundle's central directory and rejects a container an
// export does not write (checkContainer) and entries whose bytes overlap:
// a "zip bomb" makes many entries out of one deflate stream, so that each
// costs the whole stream's CPU. An entry spans its
// local header (at least 30 bytes and its name) and its compressed data.
func openZip(ra io.ReaderAt, size int64) (*zip.Reader, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%w: %v (the file is truncated or corrupt: get a complete copy or export it again)", ErrNotBundle, err)
	}
	type span struct {
		name       string
		start, end uint64
	}
	spans := make([]span, 0, len(zr.File))
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v (the file is truncated or corrupt)", ErrNotBundle, f.Name, err)
		}
		head := uint64(30 + len(f.Name))
		end := uint64(off) + f.CompressedSize64
		if uint64(off) < head || end < uint64(off) || end > uint64(size) {
			return nil, fmt.Errorf("%w: %s lies outside the file (the file is truncated or corrupt)", ErrNotBundle, f.Name)
		}
		spans = append(spans, span{f.Name, uint64(off) - head, end})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return nil, fmt.Errorf("%w: entries %s and %s overlap in the zip (a zip bomb, not an export)",
				ErrNotBundle, spans[i-1].name, spans[i].name)
		}
	}
	if err := checkContainer(ra, size, zr); err != nil {
		return nil, err
	}
	return zr, nil
}
