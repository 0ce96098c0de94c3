package estate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// anchors checks each archived timestamp and cosignature of a verified
// checkpoint: its name is its hash, and it vouches for that checkpoint.
func (r *LogReport) anchors(ctx context.Context, src Source, dir string, keys []string, cps []signed, o VerifyOptions) {
	byIndex := map[uint64]signed{}
	for _, c := range cps {
		byIndex[c.index] = c
	}
	var witnesses []note.Verifier
	for _, k := range o.Witnesses {
		if w, err := evidence.ParseWitnessKey(k); err == nil {
			witnesses = append(witnesses, w)
		}
	}
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, dir+"checkpoints/")
		head, sum, ok2 := strings.Cut(rest, "/")
		idx, kind, ok3 := strings.Cut(head, ".")
		if !ok || !ok2 || !ok3 {
			continue
		}
		index, _ := strconv.ParseUint(idx, 10, 64)
		c, known := byIndex[index]
		data, err := src.Get(ctx, k)
		if err != nil {
			r.problem("%s: %v", k, err)
			continue
		}
		if s := sha256.Sum256(data); hex.EncodeToString(s[:]) != sum {
			r.problem("tampered: %s does not hash to its name", k)
			continue
		}
		if !known {
			continue
		}
		switch kind {
		case store.AnchorTimestamp:
			st, err := evidence.CheckTimestamp(data, c.note, o.TSARoots)
			if err != nil {
				r.problem("checkpoint %d: timestamp: %v", index, err)
			} else if st.Time.Before(c.Time.Add(-time.Minute)) {
				r.problem("checkpoint %d is timestamped %s, before it says it was signed", index, st.Time.Format(time.RFC3339))
			} else {
				r.Timestamps++
			}
		case store.AnchorCosignatures:
			r.cosignatures(c, data, witnesses)
		}
	}
}

// cosignatures counts the cosignature lines of known witnesses that
// verify over checkpoint c.
func (r *LogReport) cosignatures(c signed, lines []byte, witnesses []note.Verifier) {
	text, _, _ := strings.Cut(string(c.note), "\n\n")
	for _, line := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		for _, w := range witnesses {
			msg := []byte(text + "\n\n" + line + "\n")
			if n, err := note.Open(msg, note.VerifierList(w)); err == nil && len(n.Sigs) == 1 {
				r.Cosigned[w.Name()]++
			}
		}
	}
}
