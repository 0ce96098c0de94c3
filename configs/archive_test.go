package configs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse_Archive(t *testing.T) {
	c, err := Parse([]byte(`
archive:
  endpoint: https://s3.example.internal:9000
  region: eu-west-1
  bucket: telltale-evidence
  prefix: estate
  access_key_env: TT_S3_ACCESS
  secret_key_env: TT_S3_SECRET
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.ArchiveSettings()
	if !a.Enabled() || a.Bucket != "telltale-evidence" || a.Mode != "COMPLIANCE" || a.Retention != Duration(400*24*time.Hour) ||
		a.Interval != Duration(5*time.Minute) || a.AlertAfter != Duration(24*time.Hour) || a.AccessKeyEnv != "TT_S3_ACCESS" {
		t.Errorf("got %+v", a)
	}
	if c, _ := Parse(nil); c.Archive.Enabled() {
		t.Error("the default configuration archives")
	}
}

func TestParse_ArchiveErrors_NameTheKey(t *testing.T) {
	for _, c := range []struct{ yaml, key string }{
		{"archive: {bucket: b, mode: LEGAL}", "archive.mode"},
		{"archive: {bucket: b, retention: 2h}", "archive.retention"},
		{"archive: {bucket: b, endpoint: 's3.example'}", "archive.endpoint"},
		{"archive: {bucket: b, endpoint: 'https://AKIA:secret@s3.example'}", "archive.endpoint"},
		{"archive: {bucket: b, access_key_env: TT_A}", "archive.secret_key_env"},
		{"archive: {bucket: b, access_key_env: 'AKIAXXXX=1', secret_key_env: S}", "archive.access_key_env"},
		{"archive: {prefix: estate}", "archive.bucket"},
		{"archive: {bucket: b, prefix: ../other}", "archive.prefix"},
		{"archive: {bucket: b, secret_key: abc}", "secret_key"},
	} {
		_, err := Parse([]byte(c.yaml))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: got %v, want an error naming %s", c.yaml, err, c.key)
		}
	}
}

// The commented archive section of the shipped example parses once
// uncommented.
func TestParse_ArchiveExampleInTheShippedConfig(t *testing.T) {
	_, block, ok := strings.Cut(string(Default), "\n# archive:\n")
	if !ok {
		t.Fatal("configs/telltale.yaml has no commented archive section")
	}
	yaml := "archive:\n"
	for line := range strings.SplitSeq(block, "\n") {
		rest, ok := strings.CutPrefix(line, "#")
		if !ok {
			break
		}
		yaml += strings.TrimPrefix(rest, " ") + "\n"
	}
	c, err := Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("%v\n%s", err, yaml)
	}
	if a := c.ArchiveSettings(); a.Bucket != "telltale-evidence" || a.Mode != "COMPLIANCE" || a.AccessKeyEnv != "TT_S3_ACCESS" {
		t.Errorf("got %+v", a)
	}
}
