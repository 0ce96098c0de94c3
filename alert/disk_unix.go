//go:build unix

package alert

import "golang.org/x/sys/unix"

// DiskFree is the space on dir's file system that this user may use.
func DiskFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
