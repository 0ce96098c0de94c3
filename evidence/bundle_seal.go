package evidence

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/telltale/telltale/store"
)

// sealView is a seal's text, parsed.
type sealView struct {
	body     string // the body commitment
	copy     string // SHA-256 of the redacted copy
	copySize int64
	form     string
	paths    []string // of the secrets, in order
}

// parseSeal reads a seal's text (store.SealText).
func parseSeal(text string) (sealView, error) {
	var s sealView
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 4 || lines[0] != store.SealVersion || !strings.HasSuffix(text, "\n") {
		return s, fmt.Errorf("not a %s seal with at least one secret", store.SealVersion)
	}
	var ok bool
	if s.body, ok = strings.CutPrefix(lines[1], "body "); !ok || !isHex256(s.body) {
		return s, fmt.Errorf("line 2: want \"body <sha256>\"")
	}
	f := strings.Split(lines[2], " ")
	if len(f) != 4 || f[0] != "copy" || !isHex256(f[1]) || (f[3] != store.CopyBody && f[3] != store.CopyFields) {
		return s, fmt.Errorf("line 3: want \"copy <sha256> <size> <form>\"")
	}
	s.copy, s.form = f[1], f[3]
	var err error
	if s.copySize, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return s, fmt.Errorf("line 3: size: %w", err)
	}
	for i, line := range lines[3:] {
		f := strings.SplitN(line, " ", 3)
		var path string
		if len(f) != 3 || f[0] != "secret" || !isHex256(f[1]) || json.Unmarshal([]byte(f[2]), &path) != nil {
			return s, fmt.Errorf("line %d: want \"secret <sha256> <JSON string>\"", i+4)
		}
		s.paths = append(s.paths, path)
	}
	return s, nil
}

// sealedBody checks a sealed body: the seal against the leaf, then either
// the body against the seal's opened body line, or the redacted copy
// against its copy line.
func (v *bundleVerifier) sealedBody(fail func(string, ...any), e *Entry, l store.Leaf, w *Withheld) {
	if e.Seal == nil {
		fail("body: the leaf seals it, but the entry has no seal")
		return
	}
	if got := sha256hex([]byte(e.Seal.Text)); got != l.Sealed {
		fail("body: the seal's SHA-256 is %s, but the leaf says %s", got, l.Sealed)
		return
	}
	s, err := parseSeal(e.Seal.Text)
	if err != nil {
		fail("body: seal: %v", err)
		return
	}
	switch {
	case e.Body != "":
		if w != nil || e.BodyRedacted != "" {
			fail("body: both shipped and withheld")
		}
		v.openedBody(fail, e, s)
	case e.BodyRedacted != "":
		v.sealedCopy(fail, e, s, w)
	case w == nil:
		fail("body: missing, and not listed as withheld")
	case w.Reason == ReasonRedacted:
		fail("body: withheld as redacted, without the redacted copy")
	}
}

// openedBody checks a shipped sealed body: the salt, its hash and size
// give the seal's body line.
func (v *bundleVerifier) openedBody(fail func(string, ...any), e *Entry, s sealView) {
	salt, err := hex.DecodeString(e.Seal.Salt)
	if err != nil || len(salt) != store.SaltSize {
		fail("body: the seal's salt %q is not %d bytes of hex", e.Seal.Salt, store.SaltSize)
		return
	}
	if got := store.BodyCommitment(salt, e.Seal.SHA256, e.Seal.Size); got != s.body {
		fail("body: the salt, SHA-256 and size give the commitment %s, but the seal says %s", got, s.body)
		return
	}
	v.bodyFile(fail, e.Body, store.Leaf{StoredSHA256: e.Seal.SHA256, StoredSize: e.Seal.Size})
}

// sealedCopy checks a redacted copy against the seal's copy line, and
// that the withheld secrets are the seal's.
func (v *bundleVerifier) sealedCopy(fail func(string, ...any), e *Entry, s sealView, w *Withheld) {
	name := DirRedacted + s.copy
	switch {
	case e.BodyRedacted != name:
		fail("body: the redacted copy is %s, but the seal names %s", e.BodyRedacted, name)
	case w == nil || w.Reason != ReasonRedacted || w.Copy != name:
		fail("body: a redacted copy, but the body is not listed as redacted with it")
	case !slices.Equal(w.Fields, s.paths):
		fail("body: withheld fields %q, but the seal's secrets are %q", w.Fields, s.paths)
	case (s.form == store.CopyFields) != (e.BodyRedactedDecoded == store.CopyFields):
		fail("body: the copy is said to be %q, but the seal's form is %s", e.BodyRedactedDecoded, s.form)
	}
	switch _, ok := v.sums[name]; {
	case !ok:
		fail("body: the redacted copy %s is not in the bundle", name)
	case v.listedSum(name) != s.copy:
		fail("body: the manifest lists %s with SHA-256 %s", name, v.listedSum(name))
	default:
		if f := v.files[name]; f != nil && int64(f.UncompressedSize64) != s.copySize {
			fail("body: %s is %d bytes, the seal says %d", name, f.UncompressedSize64, s.copySize)
		}
	}
}
