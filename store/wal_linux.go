package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// preallocate reserves size bytes for f, so that the appends within them
// change no file metadata and fdatasync flushes data alone.
func preallocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if err == unix.EOPNOTSUPP || err == unix.ENOSYS {
		return f.Truncate(size) // tmpfs and some others: a sparse file
	}
	return err
}

// zeroStep is how far ahead of the frames zeroAhead writes zeroes over a
// fallocated segment.
const zeroStep = 1 << 20

// datasync flushes f's data (and only the metadata needed to read it).
func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}
