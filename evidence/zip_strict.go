package evidence

import (
	"archive/zip"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// A zip can hold bytes its central directory does not describe, and a zip
// reader sees only what the directory names: another tool (one that scans
// local headers, or reads a name from the local header rather than the
// directory) would show a different bundle than VerifyBundle checked. An
// export writes nothing of the kind, so checkContainer refuses it all: the
// entries, each a local header, its data and its data descriptor, must
// tile the file from byte 0 up to the central directory, which the end of
// central directory record follows with no comment and nothing after it
// (APPNOTE.TXT 4.3.6).

// Zip record signatures and sizes (APPNOTE.TXT 4.3.7, 4.3.9, 4.3.14-16).
const (
	sigLocal       = 0x04034b50
	sigDescriptor  = 0x08074b50
	sigEnd         = 0x06054b50
	sigEnd64       = 0x06064b50
	sigEnd64Locate = 0x07064b50
	localLen       = 30
	endLen         = 22
	end64LocateLen = 20
	end64MinLen    = 56
)

// checkContainer checks that the zip's bytes are exactly what its central
// directory describes: nothing before or after the archive, no comment,
// each local header naming its entry as the directory does, and no entry
// the directory leaves out.
func checkContainer(ra io.ReaderAt, size int64, zr *zip.Reader) error {
	if zr.Comment != "" {
		return fmt.Errorf("%w: the zip has a comment (%d bytes), which an export never writes", ErrNotBundle, len(zr.Comment))
	}
	dirStart, err := directoryStart(ra, size)
	if err != nil {
		return err
	}
	files := slices.Clone(zr.File)
	offs := make(map[*zip.File]int64, len(files))
	for _, f := range files {
		off, err := f.DataOffset()
		if err != nil {
			return fmt.Errorf("%w: %s: %v (the file is truncated or corrupt)", ErrNotBundle, f.Name, err)
		}
		offs[f] = off
	}
	slices.SortFunc(files, func(a, b *zip.File) int { return cmp.Compare(offs[a], offs[b]) })
	pos := int64(0)
	for _, f := range files {
		next, err := localEntry(ra, pos, f, offs[f])
		if err != nil {
			return err
		}
		pos = next
	}
	switch {
	case pos < dirStart:
		return fmt.Errorf("%w: %d bytes between the last entry and the central directory: entries or data the directory does not list",
			ErrNotBundle, dirStart-pos)
	case pos > dirStart:
		return fmt.Errorf("%w: the entries run into the central directory (the file is corrupt)", ErrNotBundle)
	}
	return nil
}

// localEntry checks the entry whose local header should start at pos and
// returns where the next one should start.
func localEntry(ra io.ReaderAt, pos int64, f *zip.File, dataOff int64) (int64, error) {
	var h [localLen]byte
	if _, err := ra.ReadAt(h[:], pos); err != nil {
		return 0, fmt.Errorf("%w: no local header at byte %d: %v", ErrNotBundle, pos, err)
	}
	le := binary.LittleEndian
	if le.Uint32(h[:]) != sigLocal {
		if pos == 0 {
			return 0, fmt.Errorf("%w: data before the archive: the zip does not start with an entry", ErrNotBundle)
		}
		return 0, fmt.Errorf("%w: bytes at %d that no entry of the central directory accounts for", ErrNotBundle, pos)
	}
	nameLen, extraLen := int64(le.Uint16(h[26:])), int64(le.Uint16(h[28:]))
	if pos+localLen+nameLen+extraLen != dataOff {
		if pos == 0 {
			return 0, fmt.Errorf("%w: data before the archive, or an entry the central directory does not list, at byte 0", ErrNotBundle)
		}
		return 0, fmt.Errorf("%w: an entry at byte %d that the central directory does not list", ErrNotBundle, pos)
	}
	name := make([]byte, nameLen)
	if _, err := ra.ReadAt(name, pos+localLen); err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrNotBundle, f.Name, err)
	}
	if string(name) != f.Name {
		return 0, fmt.Errorf("%w: the local header at byte %d names %q, the central directory %q", ErrNotBundle, pos, name, f.Name)
	}
	end := dataOff + int64(f.CompressedSize64)
	if f.Flags&0x8 == 0 {
		return end, nil
	}
	return descriptorEnd(ra, end, f)
}

// descriptorEnd is the end of the data descriptor at pos (APPNOTE.TXT
// 4.3.9): an optional signature, the CRC-32 and both sizes, 8 bytes each
// in a zip64 entry.
func descriptorEnd(ra io.ReaderAt, pos int64, f *zip.File) (int64, error) {
	var sig [4]byte
	if _, err := ra.ReadAt(sig[:], pos); err != nil {
		return 0, fmt.Errorf("%w: %s: no data descriptor: %v", ErrNotBundle, f.Name, err)
	}
	if binary.LittleEndian.Uint32(sig[:]) == sigDescriptor {
		pos += 4
	}
	n := int64(12)
	if f.CompressedSize64 >= 0xffffffff || f.UncompressedSize64 >= 0xffffffff {
		n = 20
	}
	return pos + n, nil
}

// directoryStart reads the end of central directory record, which must end
// the file, and returns where the central directory starts; the directory
// (and a zip64 end record and locator) must fill the bytes up to it.
func directoryStart(ra io.ReaderAt, size int64) (int64, error) {
	le := binary.LittleEndian
	var end [endLen]byte
	if size < endLen {
		return 0, fmt.Errorf("%w: too short for a zip", ErrNotBundle)
	}
	if _, err := ra.ReadAt(end[:], size-endLen); err != nil || le.Uint32(end[:]) != sigEnd || le.Uint16(end[20:]) != 0 {
		return 0, fmt.Errorf("%w: data after the archive: the file does not end with the zip's end record", ErrNotBundle)
	}
	dirSize, dirOff, endAt := int64(le.Uint32(end[12:])), int64(le.Uint32(end[16:])), size-endLen
	if dirSize == 0xffffffff || dirOff == 0xffffffff || le.Uint16(end[10:]) == 0xffff {
		var err error
		if dirSize, dirOff, endAt, err = directory64(ra, endAt); err != nil {
			return 0, err
		}
	}
	if dirOff+dirSize != endAt {
		return 0, fmt.Errorf("%w: the central directory (%d bytes at %d) does not reach the end record at %d: data before the archive or inside it",
			ErrNotBundle, dirSize, dirOff, endAt)
	}
	return dirOff, nil
}

// directory64 reads the zip64 end record through its locator, just before
// the end record at endAt.
func directory64(ra io.ReaderAt, endAt int64) (dirSize, dirOff, end64At int64, err error) {
	le := binary.LittleEndian
	var loc [end64LocateLen]byte
	if endAt < end64LocateLen {
		return 0, 0, 0, fmt.Errorf("%w: no zip64 end record locator", ErrNotBundle)
	}
	if _, err := ra.ReadAt(loc[:], endAt-end64LocateLen); err != nil || le.Uint32(loc[:]) != sigEnd64Locate {
		return 0, 0, 0, fmt.Errorf("%w: no zip64 end record locator", ErrNotBundle)
	}
	at := int64(le.Uint64(loc[8:]))
	var rec [end64MinLen]byte
	if at < 0 || at > endAt {
		return 0, 0, 0, fmt.Errorf("%w: a zip64 end record outside the file", ErrNotBundle)
	}
	if _, err := ra.ReadAt(rec[:], at); err != nil || le.Uint32(rec[:]) != sigEnd64 {
		return 0, 0, 0, fmt.Errorf("%w: no zip64 end record at %d", ErrNotBundle, at)
	}
	if recEnd := at + 12 + int64(le.Uint64(rec[4:])); recEnd != endAt-end64LocateLen {
		return 0, 0, 0, fmt.Errorf("%w: data between the zip64 end record and its locator", ErrNotBundle)
	}
	return int64(le.Uint64(rec[40:])), int64(le.Uint64(rec[48:])), at, nil
}
