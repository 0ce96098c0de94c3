package archive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the tlog-tiles height: 256 hashes or entries a tile.
const TileHeight = 8

// tileWidth is the number of leaves a full tile covers.
const tileWidth = 1 << TileHeight

// Keys of a log's objects, relative to <prefix>/<origin>/.
const (
	KeyCheckpoint = "checkpoint"
	KeyVerifier   = "log.pub"
)

// LogPrefix is where the log with this origin lives under prefix.
func LogPrefix(prefix, origin string) string {
	return path.Join(prefix, origin) + "/"
}

// TilePath is the C2SP tlog-tiles path of a hash tile (L >= 0) or entry
// bundle (L == -1): tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>].
func TilePath(t tlog.Tile) string {
	level := strconv.Itoa(t.L)
	if t.L == -1 {
		level = "entries"
	}
	return "tile/" + level + "/" + tileIndex(t.N, t.W)
}

// RecordsPath is the path of the records bundle beside entry bundle N.
func RecordsPath(n int64, w int) string { return "records/" + tileIndex(n, w) }

// CheckpointPath is where checkpoint index goes.
func CheckpointPath(index uint64) string { return fmt.Sprintf("checkpoints/%d", index) }

// AnchorPath is where an anchor of checkpoint index goes, named by its
// hex SHA-256.
func AnchorPath(index uint64, kind, sum string) string {
	return fmt.Sprintf("checkpoints/%d.%s/%s", index, kind, sum)
}

// BlobPath is where stored bytes with this hex SHA-256 go.
func BlobPath(sum string) string { return "blobs/sha256/" + sum }

// tileIndex is N in groups of three digits, all but the last prefixed x,
// then .p/W for a partial tile (C2SP tlog-tiles).
func tileIndex(n int64, w int) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	if w > 0 && w < tileWidth {
		s += ".p/" + strconv.Itoa(w)
	}
	return s
}

// ParseTileIndex reads N and the width back from tileIndex's form (the
// part after tile/<L>/); a full tile has width 256.
func ParseTileIndex(s string) (int64, int, error) {
	w := tileWidth
	if i := strings.Index(s, ".p/"); i >= 0 {
		var err error
		if w, err = strconv.Atoi(s[i+3:]); err != nil || w < 1 || w >= tileWidth {
			return 0, 0, fmt.Errorf("tile %q: bad width", s)
		}
		s = s[:i]
	}
	var n int64
	for part := range strings.SplitSeq(s, "/") {
		part = strings.TrimPrefix(part, "x")
		d, err := strconv.Atoi(part)
		if err != nil || len(part) != 3 {
			return 0, 0, fmt.Errorf("tile %q: bad index", s)
		}
		n = n*1000 + int64(d)
	}
	return n, w, nil
}

// appendEntry adds one leaf's data to an entry bundle.
func appendEntry(bundle, leaf []byte) ([]byte, error) {
	if len(leaf) > 0xffff {
		return nil, fmt.Errorf("leaf of %d bytes is too long for an entry bundle", len(leaf))
	}
	return append(binary.BigEndian.AppendUint16(bundle, uint16(len(leaf))), leaf...), nil
}

// appendRecord adds one stored record to a records bundle.
func appendRecord(bundle, record []byte) []byte {
	return append(binary.BigEndian.AppendUint32(bundle, uint32(len(record))), record...)
}

// ReadEntries splits an entry bundle into its leaves.
func ReadEntries(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("entry bundle: truncated length")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, errors.New("entry bundle: truncated entry")
		}
		out, b = append(out, b[2:2+n]), b[2+n:]
	}
	return out, nil
}

// ReadRecords splits a records bundle into its stored records.
func ReadRecords(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("records bundle: truncated length")
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(len(b)) < 4+uint64(n) {
			return nil, errors.New("records bundle: truncated record")
		}
		out, b = append(out, b[4:4+n]), b[4+n:]
	}
	return out, nil
}
