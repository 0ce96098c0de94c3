//go:build !unix

package server

// fdLimit: Windows has no per-process descriptor limit of this kind.
func fdLimit() (uint64, bool) { return 0, false }
