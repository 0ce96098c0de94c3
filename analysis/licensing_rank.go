package analysis

import (
	"fmt"
	"slices"
	"strings"
)

// Which changes of a diff matter to the license position, and whether it
// moved: the summary lists them first and says so in words.

// licenseMetrics are the figures the position is made of: in use and
// installed.
var licenseMetrics = map[string]bool{"CountUsedMax": true, "InUse": true, "Installed": true}

// rank orders summary lines: what moves the position first (a license
// added or removed, in use or installed changed), then a new field of
// personal data, the rest of the figures, and the other changes.
func rank(l SummaryLine) int {
	_, metric := subjectOf(l.Figure)
	switch {
	case l.Kind == SummaryFirst:
		return 0
	case l.Kind == SummarySubjectAdded || l.Kind == SummarySubjectGone:
		return 1
	case l.Figure != "" && licenseMetrics[metric] && l.Kind != SummaryField:
		return 2
	case l.Personal != "":
		return 3
	case l.Kind == SummaryMore:
		return 9
	case l.Kind == SummaryField:
		return 6
	case l.Kind == SummarySetChanged:
		return 5
	}
	return 4
}

// rankSummary marks and orders the lines by what matters.
func rankSummary(lines []SummaryLine) []SummaryLine {
	for i := range lines {
		lines[i].License = rank(lines[i]) <= 2
	}
	slices.SortStableFunc(lines, func(a, b SummaryLine) int { return rank(a) - rank(b) })
	return lines
}

// positionMoved says in words whether the license position moved
// between two captures: a license added or removed, or its in use or
// installed count changed, and whether in use now exceeds installed.
func positionMoved(lines []SummaryLine, pb []Point) string {
	installed := map[string]float64{}
	for _, p := range pb {
		if subj, metric := subjectOf(p.Name); metric == "Installed" {
			if v, ok := p.Number(); ok {
				installed[subj] = v
			}
		}
	}
	var moved []string
	for _, l := range lines {
		if !l.License || l.Kind == SummaryFirst {
			continue
		}
		s := strings.TrimSuffix(l.Text, ".")
		subj, metric := subjectOf(l.Figure)
		if n, ok := installed[subj]; ok && metric != "Installed" && l.To != nil {
			if v, ok := (Point{Value: l.To}).Number(); ok && v > n {
				s += fmt.Sprintf(", over its %s installed by %s", valueText(n), valueText(v-n))
			}
		}
		moved = append(moved, s)
	}
	if len(moved) == 0 {
		return "The license position did not move: no license was added or removed, and no in-use or installed count changed."
	}
	return "The license position moved: " + strings.Join(moved, "; ") + "."
}
