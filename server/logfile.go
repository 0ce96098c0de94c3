package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/telltale/telltale/configs"
)

// OpenLogger is serve's logger: to w (stderr, which journald or the service
// manager collects), or to log.file rotated by size where there is no such
// collector (Windows). close flushes and closes the file.
func OpenLogger(w io.Writer, cfg configs.Log) (log zerolog.Logger, close func(), err error) {
	if cfg.File == "" {
		return newLogger(w, cfg), func() {}, nil
	}
	f, err := openRotating(cfg.File, int64(cfg.MaxSizeBytes), cfg.MaxFiles)
	if err != nil {
		return zerolog.Logger{}, nil, configErr(fmt.Errorf("log.file: %w", err))
	}
	return newLogger(f, cfg), func() { f.Close() }, nil
}

// rotatingFile is a log file that, when the next write would take it past
// max bytes, becomes path.1 (path.1 becomes path.2, and so on; path.keep
// is deleted) and starts again empty. Each zerolog event is one Write, so
// a line is never split across files.
type rotatingFile struct {
	path string
	max  int64
	keep int

	mu   sync.Mutex
	f    *os.File
	size int64
}

func openRotating(path string, max int64, keep int) (*rotatingFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	r := &rotatingFile{path: path, max: max, keep: keep}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, fi.Size()
	return nil
}

func (r *rotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		r.rotate()
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// rotate shifts the files. Windows refuses to rename a file that another
// program holds open without FILE_SHARE_DELETE (an editor, a log viewer):
// then the log goes on growing in the current file and rotation is tried
// again at the next write.
func (r *rotatingFile) rotate() {
	r.f.Close()
	os.Remove(fmt.Sprintf("%s.%d", r.path, r.keep))
	for i := r.keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", r.path, i), fmt.Sprintf("%s.%d", r.path, i+1))
	}
	os.Rename(r.path, r.path+".1")
	if err := r.open(); err != nil {
		// Nowhere left to write: drop the log rather than the proxy.
		r.f, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		r.size = 0
	}
}

// Close closes the file.
func (r *rotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// newLogger is pretty on a terminal and JSON otherwise, unless log.format
// says which.
func newLogger(w io.Writer, cfg configs.Log) zerolog.Logger {
	return zerolog.New(LogWriter(w, cfg.Format)).Level(logLevel(cfg.Level, zerolog.InfoLevel)).With().Timestamp().Logger()
}

// LogWriter is w, through zerolog's console writer when format is
// "pretty", or "auto" (or "") and w is a terminal.
func LogWriter(w io.Writer, format string) io.Writer {
	pretty := format == "pretty"
	if format == "auto" || format == "" {
		if f, ok := w.(*os.File); ok {
			pretty = isatty.IsTerminal(f.Fd())
		}
	}
	if pretty {
		return zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
	}
	return w
}

// logLevel parses a log.level; "" or a bad one is def.
func logLevel(s string, def zerolog.Level) zerolog.Level {
	level, err := zerolog.ParseLevel(s)
	if err != nil || s == "" {
		return def
	}
	return level
}
