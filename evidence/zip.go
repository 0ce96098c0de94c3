package evidence

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
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
