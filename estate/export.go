package estate

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/archive"
)

// Export writes every object of one log under prefix into a zip, under
// the same keys, with a README; Verify checks it offline (OpenZip). It
// needs the archive only: the license server may be gone.
func Export(ctx context.Context, src Source, prefix string, l Log, w io.Writer) (int, error) {
	v, err := note.NewVerifier(l.Key)
	if err != nil {
		return 0, fmt.Errorf("log key: %w", err)
	}
	if l.Prefix != "" {
		prefix = l.Prefix
	}
	dir := archive.LogPrefix(prefix, v.Name())
	keys, err := src.List(ctx, dir)
	if err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, fmt.Errorf("nothing archived under %s", dir)
	}
	zw := zip.NewWriter(w)
	readme := fmt.Sprintf("This is the archive of the Telltale log %s, copied from %s.\n"+
		"It is a C2SP tlog-tiles static log with the records and bodies it commits to.\n"+
		"Check it with: telltale estate verify THIS.zip --key '%s' --prefix '%s'\n", v.Name(), dir, l.Key, prefix)
	if err := writeZip(zw, "README.txt", []byte(readme)); err != nil {
		return 0, err
	}
	for _, k := range keys {
		data, err := src.Get(ctx, k)
		if err != nil {
			return 0, err
		}
		if err := writeZip(zw, k, data); err != nil {
			return 0, err
		}
	}
	return len(keys), zw.Close()
}

func writeZip(zw *zip.Writer, name string, data []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return err
}
