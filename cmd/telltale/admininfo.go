package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
)

// DATA/admin.json belongs to the serve that wrote it: it carries a random
// instance id, and Close removes the file only while it still holds this
// server's id. A second serve on the same data dir that fails to start
// (the store is locked) leaves the running one's file alone.

// publishAdminInfo writes DATA/admin.json under a fresh instance id.
func (s *Server) publishAdminInfo(info adminInfo) error {
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
	if info, ok := runningServe(s.cfg.DataDir); ok && info.Instance == s.instance {
		os.Remove(filepath.Join(s.cfg.DataDir, adminAddrFile))
	}
}
