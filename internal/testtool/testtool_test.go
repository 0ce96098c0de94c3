package testtool

import (
	"runtime"
	"testing"
)

// recorder stands in for a test, recording whether it was skipped or
// failed; both stop it with runtime.Goexit, as testing does.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, args[0].(string)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, format
	runtime.Goexit()
}

func run(fn func(tb testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

func TestNeed_SkipsOutsideCIAndFailsInCI(t *testing.T) {
	const absent = "telltale-no-such-tool-x9"
	t.Setenv("CI", "")
	if r := run(func(tb testing.TB) { Need(tb, "go", absent) }); !r.skipped || r.failed {
		t.Errorf("CI unset, %s missing: skipped %v failed %v, want a skip", absent, r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	if r := run(func(tb testing.TB) { Need(tb, absent) }); !r.failed || r.skipped {
		t.Errorf("CI=true, %s missing: skipped %v failed %v, want a failure", absent, r.skipped, r.failed)
	}
	var paths []string
	if r := run(func(tb testing.TB) { paths = Need(tb, "go") }); r.failed || r.skipped || len(paths) != 1 || paths[0] == "" {
		t.Errorf("CI=true, go present: skipped %v failed %v paths %q, want its path", r.skipped, r.failed, paths)
	}
}
