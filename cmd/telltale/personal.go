package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/telltale/telltale/analysis"
)

func newPersonalCmd() *cobra.Command {
	var f analysisFlags
	var numbers []int
	var search, category string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "personal [--capture N]... [--search TEXT] [--category CAT] [--json]",
		Short: "The personal data the License Server sent: people, devices, every identifier, as the review UI's page counts them",
		Long: `personal lists every identifier of a person or machine the License Server
sent (e-mail addresses and UPNs, user names, SIDs, host and device names,
IP addresses, hashed identifiers), found in every layer of every request,
with how many uploads carried it, where to, and the first and last
capture (by capture number). It first counts them: people (identifiers a
payload sent together, such as a user's hashed name, UPN and SID in one
record, count as one person), devices and hosts, IP addresses, and user
names sent in clear. These are the numbers of the review UI's Personal
data page and of report.html for the same captures.

--capture N (repeatable) counts and lists only what those captures carried,
as their capture pages do. --search and --category narrow the list; the
counts stay those of every identifier.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := f.open()
			if err != nil {
				return err
			}
			defer a.Close()
			nums, err := numbersOf(a)
			if err != nil {
				return err
			}
			var ids []analysis.Identity
			if len(numbers) == 0 {
				if ids, err = a.Identities(); err != nil {
					return analysisErr(err)
				}
				analysis.SortIdentities(ids)
			} else if ids, err = captureIdentities(a, nums, numbers); err != nil {
				return err
			}
			p := personalOut{Counts: analysis.CountIdentities(ids), Anonymisation: analysis.CheckAnonymisation(ids), Total: len(ids)}
			p.Identities = filterIdentities(ids, search, category)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), p)
			}
			return writePersonal(cmd.OutOrStdout(), p, nums)
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.IntSliceVar(&numbers, "capture", nil, "only what these captures carried (capture numbers, as list and the review UI show them)")
	fl.StringVar(&search, "search", "", "list only identifiers whose value contains this text (ignoring case)")
	fl.StringVar(&category, "category", "", "list only this category: email, upn, user_name, sid, host_name, ip_address, hashed_id")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// personalOut is what personal prints: the counts of every identifier,
// and those the filters kept.
type personalOut struct {
	Counts        analysis.IdentityCounts `json:"counts"`
	Anonymisation analysis.Anonymisation  `json:"anonymisation"`
	Total         int                     `json:"total"`
	Identities    []analysis.Identity     `json:"identities"`
}

// numbersOf numbers the captures of a's store, as the review UI does.
func numbersOf(a analyst) (*analysis.Numbers, error) {
	switch x := a.(type) {
	case localAnalyst:
		return analysis.CaptureNumbers(x.Store)
	case remoteAnalyst:
		return captureNumbers(x.captures)
	}
	return &analysis.Numbers{}, nil
}

// captureIdentities are the identities the captures numbered ns carried,
// merged as the analysis merges them over the log.
func captureIdentities(a analyst, nums *analysis.Numbers, ns []int) ([]analysis.Identity, error) {
	var per [][]analysis.Identity
	for _, n := range ns {
		id := nums.ID(n)
		if id == "" {
			return nil, usage(fmt.Errorf("no capture number %d: `telltale list` shows them (there are %d)", n, nums.Len()))
		}
		d, err := a.Decoded(id)
		if err != nil {
			return nil, analysisErr(err)
		}
		per = append(per, analysis.IdentitiesIn(d))
	}
	return analysis.MergeIdentities(per...), nil
}

func filterIdentities(ids []analysis.Identity, search, category string) []analysis.Identity {
	search = strings.ToLower(search)
	return slices.DeleteFunc(slices.Clone(ids), func(id analysis.Identity) bool {
		return category != "" && id.Category != category || search != "" && !strings.Contains(strings.ToLower(id.Value), search)
	})
}

// writePersonal prints the counts, then one identifier a line.
func writePersonal(w io.Writer, p personalOut, nums *analysis.Numbers) error {
	c := p.Counts
	fmt.Fprintf(w, "People: %d\nDevices and hosts: %d\nIP addresses: %d\nIdentifiers: %d\n", c.People, c.Devices, c.Addresses, c.Identifiers)
	if c.Plain > 0 {
		fmt.Fprintf(w, "User names in clear: %d (username anonymisation is NOT in effect), e.g. %s\n", c.Plain, p.Anonymisation.Example)
	} else {
		fmt.Fprintln(w, "User names in clear: 0")
	}
	cats := make([]string, 0, len(c.ByCategory))
	for k := range c.ByCategory {
		cats = append(cats, k)
	}
	slices.Sort(cats)
	for i, k := range cats {
		cats[i] = fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), c.ByCategory[k])
	}
	if len(cats) > 0 {
		fmt.Fprintf(w, "By category: %s\n", strings.Join(cats, ", "))
	}
	if len(p.Identities) < p.Total {
		fmt.Fprintf(w, "\n%d of %d identifiers match.\n", len(p.Identities), p.Total)
	}
	if len(p.Identities) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tVALUE\tUPLOADS\tFIRST\tLAST\tSENT TO")
	for _, id := range p.Identities {
		cat := strings.ReplaceAll(id.Category, "_", " ")
		if id.Plain {
			cat += " (in clear)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", cat, id.Value, id.Uploads, capturedAt(nums, id.FirstID, id.FirstTime),
			capturedAt(nums, id.LastID, id.LastTime), strings.Join(id.Endpoints, "; "))
	}
	return tw.Flush()
}

// capturedAt is "no. N, 2026-05-04 02:03", or the time alone.
func capturedAt(nums *analysis.Numbers, id, at string) string {
	if len(at) >= 16 {
		at = strings.Replace(at[:16], "T", " ", 1)
	}
	if n := nums.Number(id); n > 0 {
		return fmt.Sprintf("no. %d, %s", n, at)
	}
	return at
}
