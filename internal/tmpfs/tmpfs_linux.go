package tmpfs

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Mount mounts a tmpfs of size bytes on a new temporary directory and
// unmounts it when the test ends (after the cleanups registered later).
func Mount(tb testing.TB, size int64) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		unavailable(tb, fmt.Sprintf("mount -t tmpfs -o size=%d tmpfs %s: %v (the test needs root or CAP_SYS_ADMIN)", size, dir, err))
	}
	tb.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			// Something still holds a file (a failed test's leftover):
			// detach it rather than leave a mount behind.
			if err2 := unix.Unmount(dir, unix.MNT_DETACH); err2 != nil {
				tb.Errorf("umount %s: %v; %v", dir, err, err2)
			}
		}
	})
	return dir
}

// Free is the space on dir's file system that may still be used.
func Free(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// NoSpace reports whether err is the kernel's "no space left on device".
func NoSpace(err error) bool { return errors.Is(err, unix.ENOSPC) }

func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s; CI runs as root, so this fails instead of skipping", why)
	}
	tb.Skipf("skipped: no tmpfs to fill: %s", why)
}
