package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/telltale/telltale/evidence"
)

// witnessKeys reads verify --witness: witnesses' verifier keys (a
// cosignature/v1 key, as litewitness prints it, or an Ed25519 one), each
// a line or a file holding one.
func witnessKeys(flags []string) ([]string, error) {
	var keys []string
	for _, w := range flags {
		key := w
		if b, err := os.ReadFile(w); err == nil {
			key = string(b)
		}
		key = strings.TrimSpace(key)
		if _, err := evidence.ParseWitnessKey(key); err != nil {
			return nil, usage(fmt.Errorf("--witness: %w", err))
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// printCosigned says, for each checkpoint with cosignatures, how many of
// the witnesses given with --witness vouch for it.
func printCosigned(w io.Writer, a evidence.AnchorReport, named int) {
	for _, c := range a.Cosigned {
		where := ""
		if c.File != "" {
			where = c.File + ": "
		}
		others := ""
		if c.Others > 0 {
			others = fmt.Sprintf("; %d more by witnesses you did not name (--witness), not checked", c.Others)
		}
		if len(c.Witnesses) == 0 {
			fmt.Fprintf(w, "  witnesses   %scheckpoint %d (tree size %d): no witness you named vouches for it%s\n", where, c.Checkpoint, c.Size, others)
			continue
		}
		fmt.Fprintf(w, "  witnesses   %scheckpoint %d (tree size %d): %d of %d independent witnesses you named vouch for it (%s)%s\n",
			where, c.Checkpoint, c.Size, len(c.Witnesses), named, strings.Join(c.Witnesses, ", "), others)
	}
}
