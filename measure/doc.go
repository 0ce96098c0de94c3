// Package measure takes Telltale's own measurement on the license
// server: a sample of the License Server's WMI license pools (namespace
// root\CitrixLicensing, class Citrix_GT_License_Pool) of how many of
// each license are installed and in use, as the administrators' usage
// scripts take it. The samples are kept in the store (not as captures:
// they are no traffic) and reconcile compares each license's daily peak
// in use with what the compliance uploads reported for that usage day
// (analysis.DailyPeaks, analysis.Reconcile).
//
// A Sampler is the source: PowerShell on Windows, which runs
// Get-CimInstance, and Recorded, which replays samples from a file (for
// tests, and on systems without WMI).
package measure
