package store

import (
	"syscall"
	"unsafe"
)

// directSupported: O_DIRECT|O_DSYNC segments work here (file systems such
// as tmpfs still refuse them when the segment is created).
const directSupported = true

// directFlags open a segment so that each write bypasses the page cache
// and is durable when it returns: no fdatasync.
const directFlags = syscall.O_DIRECT | syscall.O_DSYNC

// directBlock is the alignment O_DIRECT asks of offsets, lengths and
// buffers: the logical block size of every common disk and file system.
const directBlock = 4096

// writeDirect writes frames at s.off through an O_DIRECT|O_DSYNC file: it
// rewrites the last partial block (kept in s.tail) followed by the frames,
// zero-padded to whole blocks. The zeroes read as the end of the segment
// until the next group overwrites them.
func (w *wal) writeDirect(s *segment, frames []byte) error {
	start := s.off &^ (directBlock - 1)
	head := int(s.off - start)
	n := head + len(frames)
	total := (n + directBlock - 1) &^ (directBlock - 1)
	buf := w.alignedBuf(total)
	copy(buf, s.tail[:head])
	copy(buf[head:], frames)
	clear(buf[n:])
	if _, err := s.f.WriteAt(buf, start); err != nil {
		return err
	}
	full := n &^ (directBlock - 1)
	s.tail = append(s.tail[:0], buf[full:n]...)
	return nil
}

// alignedBuf returns a buffer of n bytes whose address is block aligned.
func (w *wal) alignedBuf(n int) []byte {
	if cap(w.direct) < n+directBlock {
		w.direct = make([]byte, n+directBlock)
	}
	b := w.direct[:n+directBlock]
	skip := 0
	if rem := int(uintptr(unsafe.Pointer(&b[0])) & (directBlock - 1)); rem != 0 {
		skip = directBlock - rem
	}
	return b[skip : skip+n]
}
