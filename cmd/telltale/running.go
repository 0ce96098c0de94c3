package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The running serve, as the offline commands (compact, doctor) see it:
// DATA/admin.json says where its admin API listens.

// runningServe reads DATA/admin.json; ok is false when there is none.
func runningServe(dir string) (adminInfo, bool) {
	b, err := os.ReadFile(filepath.Join(dir, adminAddrFile))
	if err != nil {
		return adminInfo{}, false
	}
	var info adminInfo
	if json.Unmarshal(b, &info) != nil || info.Addr == "" {
		return adminInfo{}, false
	}
	return info, true
}

// servePID is " (pid N)" for messages, or "".
func servePID(dir string) string {
	if info, ok := runningServe(dir); ok && info.PID > 0 {
		return fmt.Sprintf(" (pid %d)", info.PID)
	}
	return ""
}

// serveHealth asks the running serve's admin API for path (/healthz or
// /readyz) and returns the status code and body.
func serveHealth(dir, path string) (int, string, error) {
	info, ok := runningServe(dir)
	if !ok {
		return 0, "", fmt.Errorf("no %s in %s: serve is not running there", adminAddrFile, dir)
	}
	base, hc, err := adminEndpoint(info)
	if err != nil {
		return 0, "", err
	}
	if hc == nil {
		hc = &http.Client{}
	}
	hc.Timeout = 3 * time.Second
	resp, err := hc.Get(base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(b)), nil
}
