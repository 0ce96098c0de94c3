package server

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telltale/telltale/configs"
)

func TestRotatingFile_RotatesBySizeAndKeepsN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "telltale.log")
	f, err := openRotating(path, 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 99) + "\n" // 100 bytes
	for i := range 35 {
		if _, err := fmt.Fprint(f, fmt.Sprintf("%02d", i)+line[2:]); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	for name, want := range map[string]string{"telltale.log": "30", "telltale.log.1": "20", "telltale.log.2": "10"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 1000 || !strings.HasPrefix(string(b), want) || len(b)%100 != 0 {
			t.Errorf("%s: %d bytes starting %q, want whole lines from %s, at most 1000 bytes", name, len(b), b[:2], want)
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("max_files 2: found a third rotated file")
	}
}

func TestOpenLogger_FileGetsJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telltale.log")
	log, closeLog, err := OpenLogger(os.Stderr, configs.Log{Level: "info", Format: "auto", File: path, MaxSizeBytes: 1 << 20, MaxFiles: 1})
	if err != nil {
		t.Fatal(err)
	}
	log.Warn().Str("component", "test").Msg("to the file")
	closeLog()
	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), `{"level":"warn"`) || !strings.Contains(sc.Text(), "to the file") {
		t.Errorf("log file: got %q, want a JSON line", sc.Text())
	}
}
