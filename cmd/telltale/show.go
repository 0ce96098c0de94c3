package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/store"
)

func newShowCmd() *cobra.Command {
	var data, config, body string
	var asJSON, decoded, byID, reveal bool
	cmd := &cobra.Command{
		Use:   "show NO | show --id ID",
		Short: "Show one capture in full",
		Long: `show prints one capture: its heads, upstream TLS, timings and body hashes.
NO is the capture's number, as telltale list, the review UI (no. 12) and
the report name it; --id takes the id the evidence uses instead, and
prints it. Secrets in heads (evidence.redact_headers of the embedded
default: Authorization, cookies) print masked unless --reveal. --body
writes a body exactly as it crossed the wire; --decoded prints both bodies
decoded (gzip, zip, base64, JSON, XML ... as a tree), each field by path,
the personal data and the figures found; --json prints either as JSON.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if body != "" && body != "request" && body != "response" {
				return usage(fmt.Errorf("--body must be request or response, not %q", body))
			}
			if body != "" && decoded {
				return usage(fmt.Errorf("--body or --decoded, not both"))
			}
			c, err := openCaptures(data)
			if err != nil {
				return err
			}
			defer c.Close()
			nums, err := captureNumbers(c)
			if err != nil {
				return err
			}
			id, err := captureRef(nums, args[0], byID)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if decoded {
				c.Close() // showDecoded opens the store its own way
				return showDecoded(out, data, config, id, captureName(nums, id, byID), asJSON)
			}
			capt, err := c.Capture(id)
			if err != nil {
				return notFound(id, err)
			}
			switch {
			case body != "":
				return writeBody(out, c, capt, body)
			case asJSON:
				return writeJSON(out, shownCapture{json.Number(capt.ID), maskCapture(capt, reveal), nums.Number(capt.ID)})
			}
			printCapture(out, maskCapture(capt, reveal), captureName(nums, capt.ID, byID))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", defaultDataDir, "data dir")
	f.StringVarP(&config, "config", "c", "", "with --decoded: config whose inspect rules apply when the store is read directly")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	f.BoolVar(&decoded, "decoded", false, "print the bodies decoded: a tree, fields by path, personal data, figures")
	f.StringVar(&body, "body", "", "write the request or response body, exactly as it crossed the wire, to stdout")
	f.BoolVar(&byID, "id", false, "the argument is the capture's id in the evidence, not its number; print the id too")
	addNumberFlag(cmd)
	f.BoolVar(&reveal, "reveal", false, "print secrets in heads (Authorization, cookies) instead of masking them")
	return cmd
}

// addNumberFlag keeps -n, which once told show and diff that their
// arguments were numbers: they are now by default.
func addNumberFlag(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolP("number", "n", false, "the arguments are capture numbers (the default)")
	_ = f.MarkHidden("number")
}

// captureRef reads a capture's reference as show and diff take it: its
// number (12, no.12, #12), or with byID its id in the evidence.
func captureRef(nums *analysis.Numbers, s string, byID bool) (string, error) {
	if byID {
		return s, nil
	}
	if id := numberToID(nums, s); id != "" {
		return id, nil
	}
	return "", fmt.Errorf("no capture no. %s: `telltale list` shows the numbers (there are %d); --id takes the id the evidence uses", s, nums.Len())
}

// captureName names a capture for people: "no. 12", with its evidence id
// when asked for ("no. 12, id 23"), or by id when it has no number.
func captureName(nums *analysis.Numbers, id string, withID bool) string {
	n := nums.Number(id)
	switch {
	case n == 0:
		return "id " + id
	case withID:
		return fmt.Sprintf("no. %d, id %s", n, id)
	}
	return fmt.Sprintf("no. %d", n)
}

// shownCapture is a capture as show --json prints it: its id a number,
// with its capture number.
type shownCapture struct {
	ID json.Number `json:"id"`
	*store.Capture
	Number int `json:"number"`
}

func writeBody(w io.Writer, c captures, capt *store.Capture, side string) error {
	m := capt.Request
	if side == "response" {
		m = capt.Response
	}
	if m == nil {
		return fmt.Errorf("capture %s has no %s", capt.ID, side)
	}
	if m.Pruned {
		return fmt.Errorf("the %s body of capture %s was pruned by retention; its hash %s remains", side, capt.ID, m.BodySHA256)
	}
	key := store.BodyRef{SHA256: m.BodySHA256, Truncated: m.Truncated, StoredSHA256: m.StoredSHA256}.StoredKey()
	if key == "" || m.BodySize == 0 {
		return nil
	}
	rc, _, err := c.OpenBody(key)
	if err != nil {
		return fmt.Errorf("%s body of capture %s: %w", side, capt.ID, err)
	}
	defer rc.Close()
	_, err = io.Copy(w, rc)
	return err
}

func printCapture(w io.Writer, c *store.Capture, name string) {
	fmt.Fprintf(w, "Capture %s  %s  %s  client %s\n", name, timeMS(c.Time), c.Kind, c.Client)
	if p := c.Process; p != nil {
		fmt.Fprintf(w, "Sent by: %s\n", p)
		if p.Image != "" {
			fmt.Fprintf(w, "  image %s\n", p.Image)
		}
	}
	if c.Error != "" {
		fmt.Fprintf(w, "Error: %s\n", c.Error)
	}
	if c.Duration != "" {
		fmt.Fprintf(w, "%s %s  up %d bytes, down %d bytes, %s\n", c.Method, c.URL, c.RequestBytes, c.ResponseBytes, c.Duration)
	}
	if m := c.Request; m != nil {
		fmt.Fprintf(w, "\n> %s %s %s\n", m.Method, c.URL, m.Proto)
		printMessage(w, ">", m)
	}
	if t := c.TLS; t != nil {
		fmt.Fprintf(w, "\nUpstream TLS (verified): %s, %s, ALPN %q, server name %s\n  leaf certificate SHA-256 %s\n",
			t.Version, t.CipherSuite, t.ALPN, t.ServerName, t.LeafSHA256)
	}
	if t := c.Timings; t != nil {
		fmt.Fprintf(w, "Timings: committed +%s, first byte +%s, end +%s\n",
			since(t.Start, t.Committed), since(t.Start, t.FirstByte), since(t.Start, t.End))
	}
	if m := c.Response; m != nil {
		fmt.Fprintf(w, "\n< %s %d\n", m.Proto, m.Status)
		printMessage(w, "<", m)
	} else if c.Kind == store.CaptureExchange && !c.Complete {
		fmt.Fprintf(w, "\n< (no response recorded: in flight, or cut off)\n")
	}
}

func printMessage(w io.Writer, dir string, m *store.Message) {
	for _, h := range m.Headers {
		fmt.Fprintf(w, "%s %s: %s\n", dir, h.Name, h.Value)
	}
	for _, h := range m.Trailers {
		fmt.Fprintf(w, "%s (trailer) %s: %s\n", dir, h.Name, h.Value)
	}
	trunc := ""
	if m.Truncated {
		trunc = ", stored truncated"
	}
	fmt.Fprintf(w, "%s body: %d bytes, SHA-256 %s%s\n", dir, m.BodySize, m.BodySHA256, trunc)
}

// since is the offset of t from start, or "-" when t did not happen.
func since(start, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Sub(start).String()
}

func numberToID(nums *analysis.Numbers, s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "#"), "no."))
	n, err := strconv.Atoi(s)
	if err != nil {
		return ""
	}
	return nums.ID(n)
}

// maskCapture returns c with the values of secret headers masked, unless
// reveal; c itself is not changed.
func maskCapture(c *store.Capture, reveal bool) *store.Capture {
	if reveal {
		return c
	}
	cfg, err := configs.Parse(nil)
	if err != nil {
		return c
	}
	out := *c
	for _, m := range []**store.Message{&out.Request, &out.Response} {
		if *m == nil {
			continue
		}
		cp := **m
		cp.Headers = analysis.MaskHeaders(cp.Headers, cfg.Evidence.RedactHeaders)
		cp.Trailers = analysis.MaskHeaders(cp.Trailers, cfg.Evidence.RedactHeaders)
		*m = &cp
	}
	return &out
}
