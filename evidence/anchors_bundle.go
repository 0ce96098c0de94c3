package evidence

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/telltale/telltale/store"
)

// DirTimestamps holds the RFC 3161 timestamps of a bundle's checkpoints:
// timestamps/<checkpoint index>.tsr, each a time-stamp response (DER) over
// the SHA-256 of that checkpoint's signed note.
const DirTimestamps = "timestamps/"

// AnchorInfo is one anchor a bundle carries, in manifest.json's "anchors".
type AnchorInfo struct {
	Kind       string `json:"kind"`       // store.AnchorTimestamp: "rfc3161"
	Checkpoint uint64 `json:"checkpoint"` // the stored checkpoint's index
	// Note is the bundle file holding the checkpoint's signed note:
	// checkpoint.txt, or checkpoints.jsonl (its line with this index).
	Note string `json:"note"`
	File string `json:"file"` // timestamps/<index>.tsr
}

// timestampFile is the bundle file of a checkpoint's timestamp.
func timestampFile(index uint64) string {
	return DirTimestamps + strconv.FormatUint(index, 10) + ".tsr"
}

// isTimestampFile reports whether name is a file an export writes under
// timestamps/.
func isTimestampFile(name string) bool {
	n, ok := strings.CutPrefix(name, DirTimestamps)
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, ".tsr")
	i, err := strconv.ParseUint(n, 10, 64)
	return ok && err == nil && timestampFile(i) == name
}

// anchors adds the stored timestamps and cosignatures of the bundle's
// checkpoint and of the earlier ones to the bundle and lists them in the
// manifest.
func (x *exporter) anchors() error {
	tsrs, err := x.st.Anchors(store.AnchorTimestamp)
	if err != nil {
		return err
	}
	x.m.Anchors = []AnchorInfo{}
	indexes := make([]uint64, 0, len(tsrs))
	for i := range tsrs {
		if i <= x.cp.Index {
			indexes = append(indexes, i)
		}
	}
	sort.Slice(indexes, func(a, b int) bool { return indexes[a] < indexes[b] })
	for _, i := range indexes {
		a := AnchorInfo{Kind: store.AnchorTimestamp, Checkpoint: i, Note: FileCheckpoints, File: timestampFile(i)}
		if i == x.cp.Index {
			a.Note = FileCheckpoint
		}
		if err := x.bw.addBytes(a.File, tsrs[i]); err != nil {
			return err
		}
		x.m.Anchors = append(x.m.Anchors, a)
	}
	return x.cosignatures()
}

// anchors checks every timestamp the manifest lists against the note it
// names and the time that note claims, and that no timestamp file goes
// unlisted.
func (v *bundleVerifier) anchors(roots *x509.CertPool, maxLag time.Duration) {
	a := &v.rep.Anchors
	named := map[string]bool{}
	var earlier map[uint64][]byte
	for _, an := range v.m.Anchors {
		if an.Kind == AnchorCosignature {
			named[an.File] = true
			if an.Note == FileCheckpoints && earlier == nil {
				earlier = v.earlierNotes()
			}
			v.cosignature(an, earlier)
			continue
		}
		if an.Kind != store.AnchorTimestamp || an.File != timestampFile(an.Checkpoint) {
			v.fail(FileManifest, "anchor %s of checkpoint %d in %s: not an anchor an export writes", an.Kind, an.Checkpoint, an.File)
			continue
		}
		named[an.File] = true
		if an.Note == FileCheckpoints && earlier == nil {
			earlier = v.earlierNotes()
		}
		msg, err := v.anchoredNote(an, earlier)
		if err != nil {
			v.fail(an.File, "%v", err)
			continue
		}
		tsr, err := v.read(an.File, maxSmallFile)
		if err != nil {
			v.fail(an.File, "%v", err)
			continue
		}
		st, err := CheckTimestamp(tsr, msg, roots)
		if err != nil {
			v.fail(an.File, "%v", err)
			continue
		}
		if claimed, err := CheckpointTime(msg); err == nil {
			if err := checkLag(claimed, st, maxLag); err != nil {
				v.fail(an.File, "checkpoint %d: %v", an.Checkpoint, err)
				continue
			}
		}
		a.Timestamps = append(a.Timestamps, CheckedTimestamp{Checkpoint: an.Checkpoint, File: an.File, Stamped: st})
	}
	for _, f := range v.zr.File {
		if isTimestampFile(f.Name) && !named[f.Name] {
			v.fail(f.Name, "a timestamp that manifest.json's anchors do not name")
		}
		if isCosignatureFile(f.Name) && !named[f.Name] {
			v.fail(f.Name, "cosignatures that manifest.json's anchors do not name")
		}
	}
	v.witnessesVouch()
}

// anchoredNote is the signed note an anchor is about.
func (v *bundleVerifier) anchoredNote(an AnchorInfo, earlier map[uint64][]byte) ([]byte, error) {
	switch an.Note {
	case FileCheckpoint:
		b, err := v.read(FileCheckpoint, maxSmallFile)
		if err != nil {
			return nil, err
		}
		return b, nil
	case FileCheckpoints:
		if note, ok := earlier[an.Checkpoint]; ok {
			return note, nil
		}
		return nil, fmt.Errorf("timestamps checkpoint %d, which %s does not hold", an.Checkpoint, FileCheckpoints)
	}
	return nil, fmt.Errorf("names %q as its checkpoint's file: want %s or %s", an.Note, FileCheckpoint, FileCheckpoints)
}

// earlierNotes reads the notes of checkpoints.jsonl by index; a line that
// does not parse is the earlier-checkpoint check's to report.
func (v *bundleVerifier) earlierNotes() map[uint64][]byte {
	notes := map[uint64][]byte{}
	f := v.files[FileCheckpoints]
	if f == nil {
		return notes
	}
	rc, err := f.Open()
	if err != nil {
		return notes
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(nil, maxLine)
	for sc.Scan() {
		var line CheckpointLine
		if json.Unmarshal(sc.Bytes(), &line) == nil {
			notes[line.Index] = []byte(line.Note)
		}
	}
	return notes
}
