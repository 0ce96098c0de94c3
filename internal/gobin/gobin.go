// Package gobin finds a program installed with go install.
package gobin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Find returns the path of the program name: on PATH, else where go
// install puts it (GOBIN, else GOPATH/bin); "" when it is in none.
func Find(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return ""
	}
	env := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for _, dir := range []string{env[0], filepath.Join(env[len(env)-1], "bin")} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); dir != "" && err == nil {
			return p
		}
	}
	return ""
}
