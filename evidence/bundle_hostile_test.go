package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// TestVerifyBundle_HugeTreeSizeBadCheckpoint: a manifest signed by the key
// that claims a tree of 2^64-1 records, with a checkpoint that does not
// verify, fails at the checkpoint instead of walking the claimed tree.
func TestVerifyBundle_HugeTreeSizeBadCheckpoint(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	files[FileManifest] = regexp.MustCompile(`"tree_size": \d+`).ReplaceAll(files[FileManifest], []byte(`"tree_size": 18446744073709551615`))
	files[FileCheckpoint] = flip(FileCheckpoint, files[FileCheckpoint])
	rep := verifyBundle(t, resign(t, k, names, files), k.vkey)
	wantFindings(t, rep.Failures, fmt.Sprintf("checkpoint.txt: signature by telltale/secrets+%08x does not verify: bad signature", k.signer.KeyHash()))
	if rep.Captures != 0 || rep.Earlier != 0 {
		t.Errorf("went on past the failed checkpoint: %d captures, %d earlier checkpoints", rep.Captures, rep.Earlier)
	}
}

// TestVerifyBundle_BodyLargerThanDeclared: a body entry far larger than
// the signed manifest says is read no further than one byte past it.
func TestVerifyBundle_BodyLargerThanDeclared(t *testing.T) {
	st, k := newSecrets(t)
	names, files := unzip(t, export(t, st, k, Selection{}))
	var m Manifest
	if err := json.Unmarshal(files[FileManifest], &m); err != nil {
		t.Fatal(err)
	}
	var body FileInfo
	for _, fi := range m.Files {
		if strings.HasPrefix(fi.Name, DirBodies) {
			body = fi
			break
		}
	}
	orig := files[body.Name]
	files[body.Name] = append(bytes.Clone(orig), make([]byte, 64<<20)...) // deflates to some 64 KiB
	b := rezip(t, names, files)
	ra := &countingReaderAt{r: bytes.NewReader(b)}
	rep, err := VerifyBundle(context.Background(), ra, int64(len(b)), BundleOptions{Keys: []string{k.vkey}})
	if err != nil {
		t.Fatal(err)
	}
	read := append(bytes.Clone(orig), 0)
	wantFindings(t, rep.Failures, fmt.Sprintf("%s: SHA-256 %s (%d bytes), but the manifest says %s (%d bytes): the file was changed",
		body.Name, sumHex(read), body.Size+1, body.SHA256, body.Size),
		fmt.Sprintf("captures.jsonl line 1, capture 1, record 1: body: %s is %d bytes, the leaf says %d", body.Name, len(files[body.Name]), body.Size))
	zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	for _, f := range zr.File {
		if n := ra.n.Load(); f.Name == body.Name && n >= int64(f.CompressedSize64) {
			t.Errorf("read %d bytes of the zip, its %d-byte oversized entry included", n, f.CompressedSize64)
		}
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// TestVerifyBundle_OverlappingEntries: a zip whose entries share bytes
// (a zip bomb: many entries, one deflate stream) is refused before any
// entry is read.
func TestVerifyBundle_OverlappingEntries(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	bomb := shareEntry(t, b, FileCaptures, FileHAR)
	ra := &countingReaderAt{r: bytes.NewReader(bomb)}
	_, err := VerifyBundle(context.Background(), ra, int64(len(bomb)), BundleOptions{Keys: []string{k.vkey}})
	if !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "overlap in the zip (a zip bomb, not an export)") {
		t.Errorf("got %v, want ErrNotBundle: entries overlap", err)
	}
	if rep := verifyBundle(t, b, k.vkey); !rep.OK() {
		t.Errorf("the untouched bundle: %v", findingStrings(rep.Failures))
	}
}

// shareEntry points the central directory entry of name at the local
// header and data of from.
func shareEntry(t *testing.T, b []byte, from, name string) []byte {
	t.Helper()
	out := bytes.Clone(b)
	eocd := bytes.LastIndex(out, []byte("PK\x05\x06"))
	p := int(binary.LittleEndian.Uint32(out[eocd+16:]))
	offsets := map[string]int{} // name -> position of its offset field
	for bytes.HasPrefix(out[p:], []byte("PK\x01\x02")) {
		nl, el, cl := binary.LittleEndian.Uint16(out[p+28:]), binary.LittleEndian.Uint16(out[p+30:]), binary.LittleEndian.Uint16(out[p+32:])
		offsets[string(out[p+46:p+46+int(nl)])] = p + 42
		p += 46 + int(nl) + int(el) + int(cl)
	}
	src, dst := offsets[from], offsets[name]
	if src == 0 || dst == 0 {
		t.Fatalf("no %s or %s in the central directory", from, name)
	}
	copy(out[dst:dst+4], out[src:src+4])
	return out
}

// TestVerifyBundle_ContextStopsIt: cancelling the context mid-way stops
// the verification with the context's error.
func TestVerifyBundle_ContextStopsIt(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{})
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	ra := &cancelAt{r: bytes.NewReader(b)}
	for _, f := range zr.File {
		if f.Name == FileCaptures {
			ra.from, _ = f.DataOffset()
			ra.to = ra.from + int64(f.CompressedSize64)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ra.cancel = cancel
	rep, err := VerifyBundle(ctx, ra, int64(len(b)), BundleOptions{Keys: []string{k.vkey}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if rep == nil || rep.Captures != 0 || rep.Files >= len(zr.File)-2 {
		t.Errorf("went on after the cancel: %+v", rep)
	}
}

// cancelAt cancels a context when a read starts in a range of offsets.
type cancelAt struct {
	r        io.ReaderAt
	from, to int64
	cancel   context.CancelFunc
}

func (c *cancelAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.from && off < c.to {
		c.cancel()
	}
	return c.r.ReadAt(p, off)
}
