package analysis

import (
	"errors"
	"fmt"
)

// The sentinel errors of the package, all in one place; test them with
// errors.Is. Capture ids that do not exist give store.ErrNotFound.
var (
	// ErrNoPrevious means a capture is the first of its endpoint, so
	// there is nothing to compare it with.
	ErrNoPrevious = errors.New("no earlier capture of the same endpoint")

	// ErrNotExchange means a capture has no bodies to decode: a tunnel,
	// a refusal, or an exchange without its response yet.
	ErrNotExchange = errors.New("not a complete inspected exchange")

	// ErrBadInput means a query or a measurement file is malformed; a
	// *LineError says where.
	ErrBadInput = errors.New("bad input")
)

// LineError is a malformed line of a measurement file.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Unwrap makes a LineError an ErrBadInput.
func (e *LineError) Unwrap() error { return ErrBadInput }

func errf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadInput}, args...)...)
}
