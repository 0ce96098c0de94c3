//go:build !linux

package store

// directSupported: O_DIRECT is Linux's; other platforms refuse WALDirect.
const directSupported = false

const directFlags = 0

func (w *wal) writeDirect(s *segment, frames []byte) error {
	panic("store: O_DIRECT segments on a platform without them")
}
