package estate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/store"
)

// Restore verifies one log in the archive and writes it into st, an empty
// store, as the license server's store held it, so that every command
// and the review UI read it (store.Restore). It refuses a log that does
// not verify. The log key goes to DIR/ca/log.pub when dir is set, where
// `telltale verify` looks for it.
func Restore(ctx context.Context, src Source, prefix string, l Log, st *store.Store, dir string) (*LogReport, error) {
	r, err := Verify(ctx, src, prefix, l, VerifyOptions{SkipBodies: true})
	if err != nil {
		return nil, err
	}
	if !r.OK() {
		return r, fmt.Errorf("%s does not verify: %s", r.Name, strings.Join(r.Problems, "; "))
	}
	if err := st.Restore(&restoreSource{ctx: ctx, src: src, r: r}); err != nil {
		return r, err
	}
	if dir != "" {
		if err := os.MkdirAll(filepath.Join(dir, "ca"), 0o700); err != nil {
			return r, err
		}
		if err := os.WriteFile(filepath.Join(dir, "ca", "log.pub"), []byte(l.Key+"\n"), 0o644); err != nil {
			return r, err
		}
	}
	return r, nil
}

// restoreSource reads a verified log's bundles and bodies for
// store.Restore.
type restoreSource struct {
	ctx context.Context
	src Source
	r   *LogReport
}

func (s *restoreSource) Records(fn func(store.Restored) error) error {
	for start := uint64(0); start < s.r.Size; start += 256 {
		n, w := int64(start/256), int(min(256, s.r.Size-start))
		entries, recs, err := s.r.bundles(s.ctx, s.src, s.r.dir, n, w)
		if err != nil {
			return err
		}
		for i := range entries {
			if err := fn(store.Restored{Seq: start + uint64(i) + 1, Value: recs[i], Leaf: entries[i]}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *restoreSource) Body(key string) ([]byte, error) {
	data, err := s.src.Get(s.ctx, s.r.dir+archive.BlobPath(key))
	if errors.Is(err, archive.ErrNotFound) {
		return nil, fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	return data, err
}

func (s *restoreSource) Checkpoints() []store.Checkpoint {
	out := make([]store.Checkpoint, len(s.r.verified))
	for i, c := range s.r.verified {
		out[i] = store.Checkpoint{Index: c.index, Size: c.Size, Note: c.note}
	}
	return out
}
