package analysis

import (
	"errors"
	"fmt"
	"strings"

	"github.com/telltale/telltale/inspect"
)

// LicenseDiff is a comparison told in licensing terms: a summary first
// ("XDT_PLT_UD added: 28 in use"; "CAG_AAC_CCU CountUsedMax 360 → 372
// (+12)"), then the changes by path. `telltale diff` and the review UI's
// diff page show it.
type LicenseDiff struct {
	*Comparison
	// Name is the endpoint's name ("Compliance upload"), if it has one.
	Name string `json:"name,omitempty"`
	// First: To is the first capture of its endpoint, so there is nothing
	// to compare it with; Changes is empty and Summary says so.
	First bool `json:"first,omitempty"`
	// Summary lists what matters first (licensing_rank.go): a license
	// added or removed, in use or installed changed, a new field of
	// personal data, then the rest. Position says in words whether the
	// license position moved.
	Summary  []SummaryLine `json:"summary"`
	Position string        `json:"position,omitempty"`
}

// Summary line kinds.
const (
	SummaryFirst         = "first"          // nothing to compare with
	SummarySubjectAdded  = "subject_added"  // a feature or license appears
	SummarySubjectGone   = "subject_gone"   // a feature or license is no longer reported
	SummaryFigureChanged = "figure_changed" // a reported figure changed
	SummaryFigureAdded   = "figure_added"
	SummaryFigureGone    = "figure_gone"
	SummarySetChanged    = "set_changed" // devices or users joined or left a list
	SummaryField         = "field"       // any other change that is not volatile
	SummaryMore          = "more"        // lines left out
)

// SummaryLine is one sentence of a LicenseDiff's summary.
type SummaryLine struct {
	Kind string `json:"kind"`
	// Subject is the feature or license ("CAG_AAC_CCU"), Figure the full
	// figure name ("CAG_AAC_CCU.CountUsedMax"), when the line is about one.
	Subject string `json:"subject,omitempty"`
	Figure  string `json:"figure,omitempty"`
	From    any    `json:"from,omitempty"`
	To      any    `json:"to,omitempty"`
	// Delta is To minus From for numbers: a direction, neither good nor
	// bad (rising usage is not good news to a buyer).
	Delta *float64 `json:"delta,omitempty"`
	Text  string   `json:"text"`
	// License: the line moves the license position. Personal names the
	// category of personal data a new field carries.
	License  bool   `json:"license,omitempty"`
	Personal string `json:"personal,omitempty"`
}

// maxFieldLines bounds the summary's lines about other fields.
const maxFieldLines = 12

// Licensing compares two captures (from "": the previous capture of to's
// endpoint) and sums the changes up in licensing terms. The first capture
// of an endpoint is not an error: the answer says so (First).
func (a *Analyzer) Licensing(from, to string, o CompareOptions) (*LicenseDiff, error) {
	names := a.Names()
	cmp, err := a.Compare(from, to, o)
	if errors.Is(err, ErrNoPrevious) {
		_, ep, lerr := a.load(to)
		if lerr != nil {
			return nil, lerr
		}
		name := names.Label(ep.String())
		return &LicenseDiff{Comparison: &Comparison{To: to, Endpoint: ep.String(), FromEndpoint: ep.String(), Side: o.Side, Changes: []Change{}},
			Name: names.Of(ep.String()), First: true,
			Summary: []SummaryLine{{Kind: SummaryFirst, Text: fmt.Sprintf("Capture %s is the first %s: there is nothing before it to compare it with.", to, name)}}}, nil
	}
	if err != nil {
		return nil, err
	}
	d := &LicenseDiff{Comparison: cmp, Name: names.Of(cmp.Endpoint)}
	pa, err := a.requestPoints(cmp.From)
	if err != nil {
		return nil, err
	}
	pb, err := a.requestPoints(cmp.To)
	if err != nil {
		return nil, err
	}
	d.Summary = rankSummary(summarise(cmp.Changes, pa, pb))
	d.Position = positionMoved(d.Summary, pb)
	return d, nil
}

// requestPoints are the figures a capture's request reports.
func (a *Analyzer) requestPoints(id string) ([]Point, error) {
	c, ep, err := a.load(id)
	if err != nil {
		return nil, err
	}
	s, err := a.decode(c, c.Request)
	if err != nil || s.part == nil {
		return nil, err
	}
	return a.points(c, ep, s.part, indexFields(inspect.Fields(s.part))), nil
}

// subjectOf splits a figure name into its subject and metric:
// "CAG_AAC_CCU.CountUsedMax" is CAG_AAC_CCU's CountUsedMax.
func subjectOf(name string) (subject, metric string) {
	if s, m, ok := strings.Cut(name, "."); ok {
		return s, m
	}
	return "", name
}

// figureSet is one capture's figures by name, with the subjects they are
// about, in the order they were reported.
type figureSet struct {
	byName   map[string]Point
	subjects []string
	bySubj   map[string][]Point
	prefixes map[string]string // element path -> subject ("$.Data.Features[0]" -> "CAG_AAC_CCU")
}

func newFigureSet(pts []Point) figureSet {
	fs := figureSet{byName: map[string]Point{}, bySubj: map[string][]Point{}, prefixes: map[string]string{}}
	for _, p := range pts {
		fs.byName[p.Name] = p
		subj, metric := subjectOf(p.Name)
		if subj == "" {
			continue
		}
		if _, ok := fs.bySubj[subj]; !ok {
			fs.subjects = append(fs.subjects, subj)
		}
		fs.bySubj[subj] = append(fs.bySubj[subj], p)
		if strings.HasSuffix(p.Path, "."+metric) && strings.HasSuffix(p.Path, "]."+metric) {
			fs.prefixes[strings.TrimSuffix(p.Path, "."+metric)] = subj
		}
	}
	return fs
}

// summarise words the changes between two captures' figures, then the
// set and field changes the figures do not explain. A removed change's
// path is in the old capture, the others' in the new one: each is read
// against its own capture's figures.
func summarise(changes []Change, pa, pb []Point) []SummaryLine {
	fa, fb := newFigureSet(pa), newFigureSet(pb)
	var out []SummaryLine
	covered := [2]map[string]bool{{}, {}} // element paths of subjects gone (old) and added (new)
	for _, subj := range fb.subjects {
		if _, had := fa.bySubj[subj]; !had && !isWholeDoc(subj, fb) {
			out = append(out, SummaryLine{Kind: SummarySubjectAdded, Subject: subj, Text: subj + " added: " + headline(fb.bySubj[subj])})
			markSubject(covered[1], fb, subj)
		}
	}
	for _, subj := range fa.subjects {
		if _, has := fb.bySubj[subj]; !has && !isWholeDoc(subj, fa) {
			out = append(out, SummaryLine{Kind: SummarySubjectGone, Subject: subj, Text: subj + " no longer reported (was " + headline(fa.bySubj[subj]) + ")"})
			markSubject(covered[0], fa, subj)
		}
	}
	out = append(out, figureChanges(fa, fb)...)
	sides := [2]figureSet{fa, fb}
	out = append(out, setChanges(changes, sides, covered)...)
	return append(out, fieldChanges(changes, sides, covered)...)
}

// sideOf is 0 when a change's path is in the old capture, else 1.
func sideOf(c Change) int {
	if c.Op == inspect.OpRemoved {
		return 0
	}
	return 1
}

// isWholeDoc reports a subject that is not an array element (the
// license server's own fields, "LicenseServer.Version"): it is never
// "added", its figures are.
func isWholeDoc(subj string, fs figureSet) bool {
	for _, s := range fs.prefixes {
		if s == subj {
			return false
		}
	}
	return true
}

func markSubject(covered map[string]bool, fs figureSet, subj string) {
	for prefix, s := range fs.prefixes {
		if s == subj {
			covered[prefix] = true
		}
	}
}

// headline is a subject's first figure in words: "28 in use".
func headline(pts []Point) string {
	p := pts[0]
	label := p.Label
	if label == "" {
		_, label = subjectOf(p.Name)
		return label + " " + valueText(p.Value)
	}
	return valueText(p.Value) + " " + label
}

func figureChanges(fa, fb figureSet) []SummaryLine {
	var out []SummaryLine
	for _, p := range orderedPoints(fb) {
		subj, metric := subjectOf(p.Name)
		old, had := fa.byName[p.Name]
		_, subjHad := fa.bySubj[subj]
		switch {
		case !had && (subjHad || isWholeDoc(subj, fb)):
			out = append(out, SummaryLine{Kind: SummaryFigureAdded, Subject: subj, Figure: p.Name, To: p.Value,
				Text: strings.TrimSpace(subj+" "+metric) + " now reported: " + valueText(p.Value)})
		case had && valueText(old.Value) != valueText(p.Value):
			l := SummaryLine{Kind: SummaryFigureChanged, Subject: subj, Figure: p.Name, From: old.Value, To: p.Value,
				Text: strings.TrimSpace(subj+" "+metric) + " " + valueText(old.Value) + " → " + valueText(p.Value)}
			x, okx := old.Number()
			y, oky := p.Number()
			if okx && oky {
				delta := y - x
				l.Delta = &delta
				l.Text += " (" + signed(delta) + ")"
			}
			out = append(out, l)
		}
	}
	for _, p := range orderedPoints(fa) {
		subj, metric := subjectOf(p.Name)
		_, subjHas := fb.bySubj[subj]
		if _, has := fb.byName[p.Name]; !has && (subjHas || isWholeDoc(subj, fa)) {
			out = append(out, SummaryLine{Kind: SummaryFigureGone, Subject: subj, Figure: p.Name, From: p.Value,
				Text: strings.TrimSpace(subj+" "+metric) + " no longer reported (was " + valueText(p.Value) + ")"})
		}
	}
	return out
}

// orderedPoints lists a capture's figures by subject, in report order,
// then those without a subject.
func orderedPoints(fs figureSet) []Point {
	var out []Point
	for _, s := range fs.subjects {
		out = append(out, fs.bySubj[s]...)
	}
	for _, p := range fs.byName {
		if s, _ := subjectOf(p.Name); s == "" {
			out = append(out, p)
		}
	}
	return out
}

// setChanges counts the elements that joined or left each device or user
// list, by subject.
func setChanges(changes []Change, sides [2]figureSet, covered [2]map[string]bool) []SummaryLine {
	type count struct {
		subj, list string
		added      int
		removed    int
	}
	counts := map[string]*count{}
	var order []string
	for _, c := range changes {
		list, ok := setElement(c)
		i := sideOf(c)
		if !ok || c.Side == SideResponse || underAny(list, covered[i]) {
			continue
		}
		subj := subjectAt(list, sides[i])
		k := subj + " " + memberName(list)
		if counts[k] == nil {
			counts[k] = &count{subj: subj, list: list}
			order = append(order, k)
		}
		if c.Op == inspect.OpAdded {
			counts[k].added++
		} else {
			counts[k].removed++
		}
	}
	var out []SummaryLine
	for _, k := range order {
		n := counts[k]
		out = append(out, SummaryLine{Kind: SummarySetChanged, Subject: n.subj, Figure: n.list,
			Text: fmt.Sprintf("%s: %d joined, %d left", strings.TrimSpace(k), n.added, n.removed)})
	}
	return out
}

// setElement reports whether a change adds or removes one element of a
// device or user list, and which list.
func setElement(c Change) (string, bool) {
	if c.Op == inspect.OpChanged || !strings.HasSuffix(c.Path, "]") {
		return "", false
	}
	i := strings.LastIndexByte(c.Path, '[')
	list := c.Path[:i]
	return list, keyIn(memberName(list), append([]string{"users", "userlist"}, deviceListKeys...), nil)
}

// subjectAt is the subject whose element holds path.
func subjectAt(path string, fs figureSet) string {
	best := ""
	for prefix := range fs.prefixes {
		if under(path, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	return fs.prefixes[best]
}

func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix) && strings.ContainsRune(".[/:", rune(path[len(prefix)]))
}

func underAny(path string, prefixes map[string]bool) bool {
	for p := range prefixes {
		if under(path, p) {
			return true
		}
	}
	return false
}

// fieldChanges words the changes that are not volatile and that no
// figure, set or subject line explains.
func fieldChanges(changes []Change, sides [2]figureSet, covered [2]map[string]bool) []SummaryLine {
	var explained [2]map[string]bool
	for i, fs := range sides {
		explained[i] = map[string]bool{}
		for _, p := range fs.byName {
			explained[i][p.Path] = true
		}
	}
	var out []SummaryLine
	left := 0
	for _, c := range changes {
		i := sideOf(c)
		if c.Volatile || c.Side == SideRequest && (underAny(c.Path, covered[i]) || underAny(c.Path, explained[i])) {
			continue
		}
		if _, ok := setElement(c); ok && c.Side == SideRequest {
			continue
		}
		if len(out) >= maxFieldLines && (c.Op != inspect.OpAdded || c.Personal == "") { // a new personal field is always said
			left++
			continue
		}
		l := SummaryLine{Kind: SummaryField, Figure: c.Path, From: c.From, To: c.To, Text: fieldText(c)}
		if c.Op == inspect.OpAdded && c.Personal != "" {
			l.Personal = c.Personal
			l.Text += " (personal data: " + strings.ReplaceAll(c.Personal, "_", " ") + ")"
		}
		out = append(out, l)
	}
	if left > 0 {
		out = append(out, SummaryLine{Kind: SummaryMore, Text: fmt.Sprintf("… and %d more %s, listed below", left, pluralS(left, "change"))})
	}
	return out
}
