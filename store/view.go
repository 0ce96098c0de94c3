package store

// CaptureOf assembles the full view of a capture (what Store.Capture
// returns) from its opening record and, for an exchange, its response
// record (nil while there is none). A verifier uses it to rebuild the view
// from records it has checked.
func CaptureOf(open, resp *Record) Capture {
	return captureOf(open, resp, true)
}
