package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// DATA/admin.json belongs to the serve that wrote it: it carries a random
// instance id, and Close removes the file only while it still holds this
// server's id. A second serve on the same data dir that fails to start
// (the store is locked) leaves the running one's file alone.

// publishAdminInfo writes DATA/admin.json under a fresh instance id.
func (s *Server) publishAdminInfo(info AdminInfo) error {
	var raw [16]byte
	rand.Read(raw[:])
	info.Instance = hex.EncodeToString(raw[:])
	if err := writeAdminInfo(s.cfg.DataDir, info); err != nil {
		return err
	}
	s.instance = info.Instance
	return nil
}

// removeAdminInfo removes DATA/admin.json if this server wrote it and it
// is still this server's.
func (s *Server) removeAdminInfo() {
	if s.cfg == nil || s.instance == "" {
		return
	}
	if info, ok := ReadAdminInfo(s.cfg.DataDir); ok && info.Instance == s.instance {
		os.Remove(filepath.Join(s.cfg.DataDir, AdminInfoFile))
	}
}

// AdminInfo is DATA/admin.json: where the running serve's admin API
// listens and how the CLI on this machine reaches it.
type AdminInfo struct {
	Addr string `json:"addr"`
	PID  int    `json:"pid"`
	// URL is the admin API's base URL for a browser; with TLS, CertFile is
	// the certificate to trust, ServerName the name it is checked for.
	URL        string `json:"url,omitempty"`
	CertFile   string `json:"cert_file,omitempty"`
	ServerName string `json:"server_name,omitempty"`
	CertSHA256 string `json:"cert_sha256,omitempty"`
	// Instance is a random id of the serve that wrote the file.
	Instance string `json:"instance,omitempty"`
}

func writeAdminInfo(dir string, info AdminInfo) error {
	info.PID = os.Getpid()
	b, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, AdminInfoFile), b, 0o644); err != nil {
		return fmt.Errorf("record admin address: %w", err)
	}
	return nil
}
