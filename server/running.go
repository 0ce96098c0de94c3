package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The running serve, as the CLI and doctor see it: DATA/admin.json
// (AdminInfo, written at start) says where its admin API listens.

// ReadAdminInfo reads DATA/admin.json; ok is false when there is none.
func ReadAdminInfo(dir string) (AdminInfo, bool) {
	b, err := os.ReadFile(filepath.Join(dir, AdminInfoFile))
	if err != nil {
		return AdminInfo{}, false
	}
	var info AdminInfo
	if json.Unmarshal(b, &info) != nil || info.Addr == "" {
		return AdminInfo{}, false
	}
	return info, true
}

// PIDNote is " (pid N)" of the serve running on dir, for messages, or "".
func PIDNote(dir string) string {
	if info, ok := ReadAdminInfo(dir); ok && info.PID > 0 {
		return fmt.Sprintf(" (pid %d)", info.PID)
	}
	return ""
}

// Health asks the running serve's admin API for path (/healthz or
// /readyz) and returns the status code and body.
func Health(dir, path string) (int, string, error) {
	info, ok := ReadAdminInfo(dir)
	if !ok {
		return 0, "", fmt.Errorf("no %s in %s: serve is not running there", AdminInfoFile, dir)
	}
	base, hc, err := info.Endpoint()
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

// Endpoint is the base URL and HTTP client with which the CLI reaches
// the admin API on this machine: over TLS, trusting the listener's
// certificate file besides the system roots. The client is nil (use
// http.DefaultClient's settings) for plain HTTP.
func (info AdminInfo) Endpoint() (string, *http.Client, error) {
	if info.CertFile == "" {
		return "http://" + DialAddr(info.Addr), nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(info.CertFile)
	if err != nil {
		return "", nil, fmt.Errorf("admin TLS certificate: %w", err)
	}
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{
		TLSClientConfig:       &tls.Config{RootCAs: pool, ServerName: info.ServerName, MinVersion: tls.VersionTLS12},
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return "https://" + DialAddr(info.Addr), &http.Client{Transport: tr}, nil
}
