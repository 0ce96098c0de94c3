package analysis

import (
	"fmt"
	"strconv"

	"github.com/telltale/telltale/inspect"
)

// How the licensing summary words values and changes.

func fieldText(c Change) string {
	side := ""
	if c.Side == SideResponse {
		side = "response "
	}
	switch c.Op {
	case inspect.OpAdded:
		return fmt.Sprintf("new %sfield %s = %s", side, c.Path, shortValue(c.To))
	case inspect.OpRemoved:
		return fmt.Sprintf("%sfield %s no longer sent (was %s)", side, c.Path, shortValue(c.From))
	}
	return fmt.Sprintf("%s%s %s → %s", side, c.Path, shortValue(c.From), shortValue(c.To))
}

// shortValue is a value in a line: scalars as they are, containers by size.
func shortValue(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return fmt.Sprintf("{%d fields}", len(x))
	case []any:
		return fmt.Sprintf("[%d items]", len(x))
	case string:
		if len(x) > 60 {
			x = x[:57] + "…"
		}
		return strconv.Quote(x)
	}
	return valueText(v)
}

// valueText prints a figure's value: numbers without a needless ".0".
func valueText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return "null"
	case string:
		return x
	}
	return scalarText(v)
}

func signed(d float64) string {
	s := strconv.FormatFloat(d, 'f', -1, 64)
	if d > 0 {
		return "+" + s
	}
	return s
}

func pluralS(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
