//go:build !linux

package store

import "os"

// preallocate sets f's size; the blocks are allocated as they are written.
func preallocate(f *os.File, size int64) error { return f.Truncate(size) }

// zeroStep is 0: preallocate leaves no unwritten extents to convert here.
const zeroStep = 0

// datasync flushes f: FlushFileBuffers on Windows, fsync (F_FULLFSYNC on
// macOS) elsewhere.
func datasync(f *os.File) error { return f.Sync() }
