package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The process that sent a request is part of its signed meta: it is kept
// through storage (a Linux path's stray bytes made valid UTF-8 as JSON
// stores them), a changed PID is a changed leaf, and the capture carries it.
func TestStore_Append_ProcessIsCommittedAndShown(t *testing.T) {
	s := newTestStore(t)
	r := request("example.com", "/")
	r.Process = &Process{PID: 4242, Name: "curl", Image: "/usr/bin/cu\xffrl", Services: []string{"telemetry.service"}, User: "root"}
	seq := mustAppend(t, s, r, nil)
	if got, want := r.Process.Image, "/usr/bin/cu\uFFFDrl"; got != want {
		t.Errorf("image after Append: got %q, want %q", got, want)
	}
	want, _ := LeafData(r)
	got, err := s.Record(seq)
	if err != nil {
		t.Fatal(err)
	}
	if leaf, _ := LeafData(got); !bytes.Equal(leaf, want) {
		t.Errorf("leaf of stored record: got %q, want %q", leaf, want)
	}
	if !reflect.DeepEqual(got.Process, r.Process) {
		t.Errorf("stored process: got %+v, want %+v", got.Process, r.Process)
	}
	other := *got
	other.Process = &Process{PID: 4243, Name: "curl", Image: r.Process.Image, Services: r.Process.Services, User: "root"}
	if leaf, _ := LeafData(&other); bytes.Equal(leaf, want) {
		t.Error("a record with another PID has the same leaf: the process is not committed")
	}
	c, err := s.Capture(strconv.FormatUint(seq, 10))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Process, r.Process) {
		t.Errorf("capture's process: got %+v, want %+v", c.Process, r.Process)
	}
	list, err := s.List(Query{})
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0].Process, r.Process) {
		t.Errorf("List: got %+v, %v, want the capture with its process", list, err)
	}
}

// A record without a process has no "process" key in its meta: the leaves
// of records written before the field existed stay what they were.
func TestMetaOf_WithoutProcessHasNoKey(t *testing.T) {
	r := request("example.com", "/")
	m := MetaOf(r)
	b, _ := json.Marshal(&m)
	if strings.Contains(string(b), "process") {
		t.Errorf("meta without a process: got %s, want no process key", b)
	}
}

func TestProcess_StringAndMatches(t *testing.T) {
	svc := &Process{PID: 2212, Name: "lmadmin.exe", Image: `C:\Program Files (x86)\Citrix\Licensing\LS\lmadmin.exe`,
		Services: []string{"Citrix Licensing"}, User: `NT AUTHORITY\NETWORK SERVICE`}
	for _, tc := range []struct {
		p    *Process
		want string
	}{
		{nil, ""},
		{&Process{PID: 4242, Name: "curl", User: "alice"}, "curl (pid 4242, user alice)"},
		{svc, `lmadmin.exe (pid 2212, service Citrix Licensing, user NT AUTHORITY\NETWORK SERVICE)`},
		{&Process{Unknown: "no socket owns 127.0.0.1:5000"}, "unknown (no socket owns 127.0.0.1:5000)"},
		{&Process{PID: 7, Unknown: "image: access denied"}, "unknown (pid 7, image: access denied)"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String(%+v): got %q, want %q", tc.p, got, tc.want)
		}
	}
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"LMADMIN", true}, {"citrix licensing", true}, {"network service", true}, {"2212", true},
		{"221", false}, {"curl", false}, {"", true},
	} {
		if got := svc.Matches(tc.q); got != tc.want {
			t.Errorf("Matches(%q): got %v, want %v", tc.q, got, tc.want)
		}
	}
	for p, want := range map[*Process][2]string{
		nil:                                 {"", "-"},
		svc:                                 {"lmadmin.exe (service Citrix Licensing)", "lmadmin.exe[2212]"},
		{PID: 9, Name: "curl"}:              {"curl", "curl[9]"},
		{Unknown: "closed"}:                 {"unknown", "unknown"},
		{Name: "java.exe", Unknown: "pid?"}: {"java.exe", "java.exe"},
	} {
		if got := [2]string{p.Program(), p.Short()}; got != want {
			t.Errorf("Program, Short of %+v: got %q, want %q", p, got, want)
		}
	}
	if (*Process)(nil).Matches("") || (*Process)(nil).Matches("x") {
		t.Error("a nil process (a remote client) matched a sent-by filter")
	}
}
