package archive

import (
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestTilePath_C2SP checks the tlog-tiles paths against the sumdb tile
// paths of golang.org/x/mod/sumdb/tlog they are defined from
// (c2sp.org/tlog-tiles: tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]).
func TestTilePath_C2SP(t *testing.T) {
	for _, n := range []int64{0, 1, 999, 1000, 1234067, 1000000000} {
		for _, w := range []int{1, 44, 255, 256} {
			for _, l := range []int{-1, 0, 1, 2} {
				tile := tlog.Tile{H: TileHeight, L: l, N: n, W: w}
				want := "tile/" + strings.TrimPrefix(tile.Path(), "tile/8/")
				if l == -1 {
					want = "tile/entries/" + strings.TrimPrefix(tile.Path(), "tile/8/data/")
				}
				if got := TilePath(tile); got != want {
					t.Errorf("TilePath(%+v) = %q, want %q", tile, got, want)
				}
				rest := strings.SplitN(TilePath(tile), "/", 3)[2] // after tile/<L>/
				gn, gw, err := ParseTileIndex(rest)
				if err != nil || gn != n || gw != w {
					t.Errorf("ParseTileIndex(%q) = %d, %d, %v; want %d, %d", rest, gn, gw, err, n, w)
				}
			}
		}
	}
	if got := RecordsPath(1234067, 5); got != "records/x001/x234/067.p/5" {
		t.Errorf("RecordsPath = %q", got)
	}
}

func TestEntryBundles_RoundTrip(t *testing.T) {
	var b []byte
	leaves := [][]byte{[]byte("a"), {}, []byte(strings.Repeat("x", 300))}
	for _, l := range leaves {
		var err error
		if b, err = appendEntry(b, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadEntries(b)
	if err != nil || len(got) != 3 || string(got[2]) != string(leaves[2]) || len(got[1]) != 0 {
		t.Fatalf("ReadEntries: %q, %v", got, err)
	}
	if _, err := ReadEntries(b[:len(b)-1]); err == nil {
		t.Error("a truncated bundle reads")
	}
	if _, err := appendEntry(nil, make([]byte, 1<<16)); err == nil {
		t.Error("an entry of 65536 bytes fits in a uint16 length")
	}
}
