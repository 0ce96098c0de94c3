package testbed

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// file is one member of an archive. Archives are built with fixed
// modification times so that a seeded run is byte-for-byte reproducible.
type file struct {
	name string
	data []byte
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf) // no ModTime or Name: nothing varies
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, maxBody))
}

func tarGz(mod time.Time, files ...file) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		tw.WriteHeader(&tar.Header{
			Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: mod.Truncate(time.Second),
			Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		})
		tw.Write(f.data)
	}
	tw.Close()
	return gzipBytes(buf.Bytes())
}

// untarGz returns the regular files of a .tgz by name.
func untarGz(b []byte) (map[string][]byte, error) {
	raw, err := gunzip(b)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	files := make(map[string][]byte)
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("untar: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			if files[h.Name], err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("untar %s: %w", h.Name, err)
			}
		}
	}
}

func zipBytes(mod time.Time, files ...file) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mod.UTC()})
		w.Write(f.data)
	}
	zw.Close()
	return buf.Bytes()
}

// unzip returns the members of a zip by name, in archive order.
func unzip(b []byte) ([]file, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	var files []file
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", zf.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxBody))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", zf.Name, err)
		}
		files = append(files, file{name: zf.Name, data: data})
	}
	return files, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
