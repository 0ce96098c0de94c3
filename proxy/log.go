package proxy

import (
	"log"
	"strings"

	"github.com/rs/zerolog"
)

// newStdLogger routes net/http's and goproxy's own messages into zerolog at
// debug level: they are about connections, not exchanges.
func newStdLogger(l zerolog.Logger) *log.Logger {
	return log.New(stdWriter{l}, "", 0)
}

type stdWriter struct{ l zerolog.Logger }

func (w stdWriter) Write(p []byte) (int, error) {
	w.l.Debug().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Printf makes stdWriter a goproxy.Logger as well.
func (w stdWriter) Printf(format string, v ...any) { w.l.Debug().Msgf(format, v...) }
