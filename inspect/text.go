package inspect

import "github.com/aymanbagabas/go-udiff"

// UnifiedText returns a unified line diff from a to b with context lines
// of context around each hunk, or "" when they are equal.
func UnifiedText(a, b string, context int) string {
	if a == b {
		return ""
	}
	s, err := udiff.ToUnified("old", "new", a, udiff.Lines(a, b), max(context, 0))
	if err != nil {
		return "" // cannot happen: the edits come from a and b
	}
	return s
}
