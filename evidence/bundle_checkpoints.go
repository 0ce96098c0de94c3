package evidence

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// checkpoint checks checkpoint.txt and that the manifest repeats it. A
// signature that fails stops the verification: the proofs would be
// checked against a root and a size that nothing vouches for.
func (v *bundleVerifier) checkpoint() {
	mc := v.m.Checkpoint
	v.ck = Checkpoint{Origin: v.m.Log.Origin, Size: mc.TreeSize, Root: mc.RootHash}
	if mc.File != FileCheckpoint {
		v.fail(FileManifest, "names checkpoint file %q, want %q", mc.File, FileCheckpoint)
	}
	b, err := v.read(FileCheckpoint, maxSmallFile)
	if err != nil {
		v.stopped = true
		v.fail(FileCheckpoint, "%v", err)
		return
	}
	ck, err := openCheckpoint(b, v.key, v.wit)
	if err != nil {
		v.stopped = true
		v.fail(FileCheckpoint, "%v", err)
		return
	}
	v.rep.Checkpoint = ck
	if (ck.IndexLeaf != nil) != (v.m.Format == BundleFormatV4) {
		v.fail(FileManifest, "format %q, but the checkpoint's last leaf is an index record: %v (only %s bundles end with one)",
			v.m.Format, ck.IndexLeaf != nil, BundleFormatV4)
	}
	if ck.Size != mc.TreeSize || ck.Root != mc.RootHash || ck.Origin != v.m.Log.Origin ||
		ck.Time.UTC().Format(store.TimeFormat) != mc.Time {
		v.fail(FileManifest, "describes checkpoint %s %d %s %s, but checkpoint.txt signs %s %d %s %s",
			v.m.Log.Origin, mc.TreeSize, mc.RootHash, mc.Time, ck.Origin, ck.Size, ck.Root, ck.Time.UTC().Format(store.TimeFormat))
	}
	v.ck = ck
}

// earlier checks checkpoints.jsonl: each earlier checkpoint is signed by
// the key and extended by the bundle's.
func (v *bundleVerifier) earlier() {
	v.lines(FileCheckpoints, func(n int, line []byte) {
		where := fmt.Sprintf("%s line %d", FileCheckpoints, n)
		var cl CheckpointLine
		if err := strict(line, &cl); err != nil {
			v.fail(where, "not a checkpoint line: %v", err)
			return
		}
		ck, err := openCheckpoint([]byte(cl.Note), v.key, v.wit)
		if err != nil {
			v.fail(where, "checkpoint %d: %v", cl.Index, err)
			return
		}
		if ck.Size > v.ck.Size {
			v.fail(where, "checkpoint %d has tree size %d, beyond the bundle's %d", cl.Index, ck.Size, v.ck.Size)
			return
		}
		if ck.Size > 0 {
			if err := tlog.CheckTree(cl.Proof, int64(v.ck.Size), v.ck.Root, int64(ck.Size), ck.Root); err != nil {
				v.fail(where, "checkpoint %d (tree size %d) is not extended by the bundle's checkpoint: %v", cl.Index, ck.Size, err)
				return
			}
		}
		v.proofs[ck.Size] = provenCheckpoint{ck.Root, cl.Proof}
		v.known = append(v.known, namedCheckpoint{where, ck})
		v.rep.Earlier++
	})
}
