package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// finish writes the other files, the manifest and its signature.
func (x *exporter) finish() error {
	if err := x.capturesW.Flush(); err != nil {
		return err
	}
	if err := x.harW.close(); err != nil {
		return err
	}
	if err := x.harBuf.Flush(); err != nil {
		return err
	}
	if err := x.summaryW.close(); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		f    *os.File
	}{{FileCaptures, x.captures}, {FileSummary, x.summary}, {FileHAR, x.har}} {
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := x.bw.add(t.name, t.f); err != nil {
			return err
		}
	}
	if err := x.checkpoints(); err != nil {
		return err
	}
	if err := x.anchors(); err != nil {
		return err
	}
	if err := x.captureIndex(); err != nil {
		return err
	}
	x.fillManifest()
	if err := x.attach(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{FileKey, []byte(x.opts.Key + "\n")}, {FileCheckpoint, x.cp.Note}} {
		if err := x.bw.addBytes(f.name, f.data); err != nil {
			return err
		}
	}
	readme, err := readme(&x.m)
	if err != nil {
		return err
	}
	if err := x.bw.addBytes(FileReadme, readme); err != nil {
		return err
	}
	if err := x.bw.addBytes(FileSums, sums(x.bw.sorted())); err != nil {
		return err
	}
	return x.sign()
}

// checkpoints writes every stored checkpoint up to the bundle's with the
// proof that the bundle's checkpoint extends it.
func (x *exporter) checkpoints() error {
	cps, err := x.st.Checkpoints()
	if err != nil {
		return err
	}
	var b []byte
	for _, cp := range cps {
		if cp.Index >= x.cp.Index {
			break
		}
		ck, err := Open(cp.Note, x.key)
		if err != nil {
			return fmt.Errorf("checkpoint %d: %w; run `telltale verify`", cp.Index, err)
		}
		line := CheckpointLine{Index: cp.Index, Note: string(cp.Note), Proof: []tlog.Hash{}}
		if ck.Size > 0 {
			if line.Proof, err = tlog.ProveTree(int64(x.ck.Size), int64(ck.Size), x.hashes); err != nil {
				return fmt.Errorf("checkpoint %d: %w", cp.Index, err)
			}
		}
		lb, err := json.Marshal(line)
		if err != nil {
			return err
		}
		b = append(append(b, lb...), '\n')
	}
	return x.bw.addBytes(FileCheckpoints, b)
}

func (x *exporter) fillManifest() {
	x.m.Format, x.m.Tool, x.m.ExportedAt = bundleFormat(x.m.Anchors, x.ck.IndexLeaf != nil), x.opts.Tool, x.now.Format(store.TimeFormat)
	x.m.Selection = x.opts.Selection
	if x.m.Selection.Redact {
		x.m.Selection.RedactFields, x.m.Selection.RedactHeaders = x.opts.Redactor.fields(), x.opts.Redactor.headers()
	}
	x.m.Log = LogKey{Origin: x.ck.Origin, Key: x.opts.Key, Fingerprint: Fingerprint(x.opts.Key)}
	x.m.Checkpoint = CheckpointInfo{File: FileCheckpoint, TreeSize: x.ck.Size, RootHash: x.ck.Root,
		Time: x.ck.Time.UTC().Format(store.TimeFormat)}
	if x.m.Withheld == nil {
		x.m.Withheld = []Withheld{}
	}
}

// sign writes manifest.json, with every file listed, and manifest.sig.
func (x *exporter) sign() error {
	x.m.Files = x.bw.sorted()
	mb, err := json.MarshalIndent(&x.m, "", "  ")
	if err != nil {
		return err
	}
	mb = append(mb, '\n')
	if _, err := x.bw.write(FileManifest, bytes.NewReader(mb)); err != nil {
		return err
	}
	sum := sha256.Sum256(mb)
	sig, err := note.Sign(&note.Note{Text: manifestNote(hex.EncodeToString(sum[:]))}, x.opts.Signer)
	if err != nil {
		return fmt.Errorf("sign manifest: %w", err)
	}
	if _, err := x.bw.write(FileManifestSig, bytes.NewReader(sig)); err != nil {
		return err
	}
	return x.bw.close()
}
