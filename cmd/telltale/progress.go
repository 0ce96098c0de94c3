package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/telltale/telltale/estate"
)

// bar shows long work on a terminal (what is being done, how far, the
// rate) through schollz/progressbar: one bar at a time is all a command
// needs, which mpb's containers of concurrent bars would add to. A nil
// *bar, what newBar returns when w is not a terminal, shows nothing, so
// that a pipe or a log file gets no progress bytes.
type bar struct {
	pb      *progressbar.ProgressBar
	unknown bool // a spinner: its total is not known
}

// newBar starts a bar of total units (-1: not known, a spinner with the
// count and the rate) named what; bytes shows the units as bytes.
func newBar(w io.Writer, total int64, what, unit string, bytes bool) *bar {
	if !terminal(w) {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		progressbar.OptionSetRenderBlankState(true),
	}
	switch {
	case bytes:
		opts = append(opts, progressbar.OptionShowBytes(true))
	case total >= 0:
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
	}
	return &bar{pb: progressbar.NewOptions64(total, opts...), unknown: total < 0}
}

// terminal reports whether w is a terminal, where progress is shown.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// setTotal changes how much work there is.
func (b *bar) setTotal(total int64) {
	if b != nil {
		b.pb.ChangeMax64(total)
	}
}

// set says how far the work is.
func (b *bar) set(done int64) {
	if b != nil {
		b.pb.Set64(done)
	}
}

// add says that n more units are done.
func (b *bar) add(n int64) {
	if b != nil {
		b.pb.Add64(n)
	}
}

// end ends the bar's line: full when ok, as far as it came when the work
// failed. A spinner always ends full, as only that stops its redrawing.
func (b *bar) end(ok bool) {
	switch {
	case b == nil || b.pb.IsFinished():
	case ok || b.unknown:
		b.pb.Finish()
	default:
		b.pb.Exit()
	}
}

// writer counts what goes through w on the bar.
func (b *bar) writer(w io.Writer) io.Writer {
	if b == nil {
		return w
	}
	return barWriter{w, b}
}

type barWriter struct {
	w io.Writer
	b *bar
}

func (bw barWriter) Write(p []byte) (int, error) {
	n, err := bw.w.Write(p)
	bw.b.add(int64(n))
	return n, err
}

// readerAt shows the bytes read through r, up to size: a zip is read
// from its directory at the end, then entry by entry, and a verifier reads
// a few parts twice.
func (b *bar) readerAt(r io.ReaderAt, size int64) io.ReaderAt {
	if b == nil {
		return r
	}
	return &barReaderAt{r: r, b: b, size: size}
}

type barReaderAt struct {
	r    io.ReaderAt
	b    *bar
	size int64
	read atomic.Int64
}

func (br *barReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := br.r.ReadAt(p, off)
	br.b.set(min(br.read.Add(int64(n)), br.size))
	return n, err
}

// showReview shows a terminal how far an estate review is: a bar per log
// of the leaves verified, tile by tile, with their rate. It sets
// e.Verify.Progress and returns Review's progress; nothing when w is not a
// terminal.
func showReview(w io.Writer, e *estate.Estate) func(done, total int, name string) {
	if !terminal(w) {
		return nil
	}
	var b *bar
	var total uint64
	logs := 0
	e.Verify.Progress = func(done, size uint64) {
		if b == nil || size != total {
			b.end(false)
			total = size
			b = newBar(w, int64(size), fmt.Sprintf("estate: log %d of %d (%s), leaves verified", logs+1, len(e.Logs), e.Logs[logs].Name), "leaves", false)
		}
		b.set(int64(done))
	}
	return func(done, _ int, _ string) {
		b.end(true)
		b, logs = nil, done
	}
}
