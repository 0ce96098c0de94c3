package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// strictBundle is a small bundle, straight from Export.
func strictBundle(t *testing.T) ([]byte, testKey) {
	t.Helper()
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/strict")
	fill(t, st, 4)
	signTree(t, st, k)
	return export(t, st, k, Selection{}), k
}

// eocd is the offset of a zip's end of central directory record.
func eocd(t *testing.T, b []byte) int {
	t.Helper()
	i := bytes.LastIndex(b, []byte("PK\x05\x06"))
	if i < 0 {
		t.Fatal("no end of central directory record")
	}
	return i
}

// TestVerifyBundle_StrictContainer: each zip is one that archive/zip reads
// (so a zip tool would show its files) but that an export never writes;
// VerifyBundle refuses each as not a bundle, and still verifies the
// export it was made from.
func TestVerifyBundle_StrictContainer(t *testing.T) {
	b, k := strictBundle(t)
	le := binary.LittleEndian
	end := eocd(t, b)
	dirOff := int(le.Uint32(b[end+16:]))
	for _, tc := range []struct {
		name string
		make func() []byte
		want string
	}{
		{"data before the archive", func() []byte {
			// A self-extractor's stub: archive/zip finds the entries
			// past it through the directory's offsets.
			return append([]byte("MZ\x90\x00 not a zip stub, 32 bytes.."), b...)
		}, "data before the archive"},
		{"data after the archive", func() []byte {
			return append(bytes.Clone(b), "trailing bytes after the end record"...)
		}, "data after the archive"},
		{"an archive comment", func() []byte {
			out := bytes.Clone(b)
			comment := "see also hidden.txt"
			le.PutUint16(out[end+20:], uint16(len(comment)))
			return append(out, comment...)
		}, "the zip has a comment"},
		{"a local header named differently", func() []byte {
			out := bytes.Clone(b)
			i := bytes.Index(out, []byte("PK\x03\x04"))
			nameLen := int(le.Uint16(out[i+26:]))
			name := out[i+30 : i+30+nameLen]
			if string(name) == "" {
				t.Fatal("empty first name")
			}
			name[0] ^= 0x20 // README.txt -> rEADME.txt
			return out
		}, "the local header at byte 0 names"},
		{"an entry the directory does not list", func() []byte {
			// A whole local entry, written by archive/zip, slipped in
			// between the last listed entry and the central directory.
			var hidden bytes.Buffer
			zw := zip.NewWriter(&hidden)
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: "hidden.txt", Method: zip.Store})
			w.Write([]byte("not in the central directory"))
			zw.Close()
			entry := hidden.Bytes()[:eocdStart(t, hidden.Bytes())]
			out := append(bytes.Clone(b[:dirOff]), entry...)
			out = append(out, b[dirOff:]...)
			le.PutUint32(out[end+len(entry)+16:], uint32(dirOff+len(entry)))
			return out
		}, "between the last entry and the central directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := tc.make()
			zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
			if err != nil {
				t.Fatalf("archive/zip does not read the doctored zip (%v): the case tests nothing", err)
			}
			if len(zr.File) == 0 {
				t.Fatal("archive/zip sees no files")
			}
			rep, err := VerifyBundle(context.Background(), bytes.NewReader(z), int64(len(z)), BundleOptions{Keys: []string{k.vkey}})
			if !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v (report %v), want ErrNotBundle saying %q", err, rep, tc.want)
			}
		})
	}
	if rep := verifyBundle(t, b, k.vkey); !rep.OK() {
		t.Errorf("the export itself: %v", findingStrings(rep.Failures))
	}
}

// eocdStart is where a zip's central directory starts.
func eocdStart(t *testing.T, b []byte) int {
	return int(binary.LittleEndian.Uint32(b[eocd(t, b)+16:]))
}
