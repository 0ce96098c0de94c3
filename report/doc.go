// Package report writes the vendor hand-over report: one self-contained,
// printable HTML page, with no scripts (it prints to PDF as it is; charts
// are inline SVG drawn here), that says what a license server sent per
// endpoint, the figures it reported per day, how they reconcile with the
// user's own measurement, what personal data they carried, and the signed
// checkpoint with the commands that verify it. figures.csv carries every
// figure in full.
//
// `telltale report` writes the page; every export bundle holds a copy of
// it and of figures.csv (evidence.ExportOptions.Attach), signed with the
// bundle. Build gathers the content from captures and their analysis;
// WriteHTML and WriteFiguresCSV render it.
package report
