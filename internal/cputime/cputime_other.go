//go:build !unix && !windows

package cputime

import "time"

// Used is 0: this platform does not say.
func Used() time.Duration { return 0 }
