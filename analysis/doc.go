// Package analysis turns a store's captures into what a licensing analyst
// asks about: what each endpoint sent, what changed since the previous
// transmission, which fields are new, which figures were reported, whether
// they match the buyer's own measurement, and which personal data left the
// estate. It uses package inspect to decode and diff, and keeps what it
// derives in the store's derived buckets. Package server runs an
// Analyzer inside serve, cmd/telltale one behind the diff, drift,
// figures, reconcile and endpoints commands; the admin API serves it to
// the review UI.
//
// # Endpoints
//
// An endpoint is a method, a host (lowercase, no port) and a path
// template; the query is left out. Template generalises each path
// segment: all digits become {id}, a GUID {guid}, 16 or more hex digits
// {hash}, 24 or more base64url characters with letters and a digit
// {token}, 8 to 32 letters and digits with at least two digits (a Citrix
// customer id such as "tbcust7k2q9x") {ccid}; in other segments runs of
// five or more digits become {n}. So
//
//	POST las.cloud.com /tbcust7k2q9x/licenseserver/activation/renew
//
// is the endpoint "POST las.cloud.com /{ccid}/licenseserver/activation/renew".
// Options.Templates ("/support/{ccid}/{product}/listls") are tried first.
// The previous capture of a capture (Previous) is the latest complete
// exchange of the same endpoint before it.
//
// # Comparing
//
// Compare decodes the bodies of two captures (the request's by default,
// the response's or both on request) with inspect.Decode, guided by their
// Content-Type and Content-Encoding headers, and diffs them with
// inspect.Diff. The first Rule whose Endpoint matches the newer capture
// says which member identifies the elements of which array and which
// paths are volatile; Options.Volatile applies to every endpoint. Volatile
// changes are listed and marked, and counted apart. Header fields can be
// compared too, as "@header:Name" paths.
//
// # Learning
//
// An Analyzer over a writable store learns from every complete exchange,
// in log order, in a background worker (Start): Notify, called from the
// proxy's Observe hook, puts a wake-up in a one-slot channel and never
// blocks; the worker then reads the log from its cursor, so a wake-up that
// finds the slot full loses nothing. On start it catches up on what was
// captured while it was not running. It stops at an exchange still waiting
// for its response, and skips one that never will finish (open when the
// Analyzer was made, or older than Options.StaleAfter).
//
// From each capture it learns the shape of both bodies (inspect.Shape) and
// merges it into the endpoint's baseline (inspect.Merge), recording drift:
// the first capture of an endpoint (new_endpoint), a field never seen
// (new_field), a type not seen at a path (type_changed). Live drift goes
// to the log at warn level and to Options.OnDrift. Fields that stop being
// sent are not drift; a diff shows them. It extracts figures from the
// request with the rule's Extractors, dated by the rule's Time path, and
// flags personal data (Personal).
//
// Derived data lives in the store's derived buckets (store/doc.go):
// baselines in derived_endpoints, events in derived_drift keyed by capture
// time, points in derived_figures keyed by the time they are for, and the
// cursor and the rules' fingerprint in derived_meta. It is written in
// batches, one transaction for up to Options.Batch captures, sharing
// bbolt's writer with the capture log, but never on the proxy's path. Made
// with other rules (a changed config), it is thrown away and rebuilt. On a
// read-only store (the CLI while serve is stopped) an Analyzer copies the
// derived buckets into memory and brings them up to date there, on the
// first query, writing nothing.
//
// # Figures and reconciliation
//
// An Extractor names a path pattern, a figure name in which "{Key}"
// stands for member Key of the nearest enclosing object (so
// "{Id}.CountUsedMax" gives "CAG_AAC_CCU.CountUsedMax"), and a unit; with
// Count it counts an array's elements (the devices in use). Strings are
// figures too (a version, a host name). Reconcile compares the numeric
// figures with the buyer's measurement (ParseMeasurements: a CSV of date,
// figure name, value) day by day, and reports every difference beyond a
// Tolerance both ways: reported_higher, measured_higher,
// reported_not_measured, measured_not_reported.
//
// # Licensing terms
//
// Licensing tells a comparison in an analyst's words: a summary of the
// figures both captures reported, subject by subject ("XDT_PLT_UD added:
// 28 in use", "CAG_AAC_CCU CountUsedMax 360 → 372 (+12)"), the devices
// and users that joined or left a list (device and user lists compare as
// sets, inspect.SetKey), then the other changes that are not volatile.
// The first capture of an endpoint is no error there: the answer says so.
// Names gives endpoints the names of their rules ("Compliance upload").
// Numbers numbers captures 1, 2, 3… in log order, for people: ids skip.
// ParseMapped reads a measurement CSV of another layout (the Licensing
// Manager's Historical Use export) through a Mapping of its columns, and
// Reconcile's rows and counts add up to the figure-days it looked at.
//
// # Personal data
//
// Personal flags fields holding e-mail addresses and UPNs, user names,
// Windows SIDs, host and device names, IP addresses, and hashed
// identifiers: 16 bytes of base64 (CVAD telemetry's SHA-256, first half,
// base64, of user fields and device names) or a hex hash under a user or
// host member. Member names decide user and host fields; value forms
// decide the rest, so a version such as 11.17.2.0 is not an address.
// Texts (usage CSVs) are scanned in linear time for e-mail addresses,
// SIDs and IPv4 addresses, and their header for user and device columns.
// The worker keeps every distinct identifier sent, with how many uploads
// carried it, where to and when (Identities, in derived_identities), and
// calls Options.OnPlainUsers for a capture that sent user@domain names in
// clear; CheckAnonymisation judges whether anonymisation is in effect.
//
// # Performance
//
// go test -bench . -cpu 1 ./analysis on one core of an AMD EPYC (2 vCPU
// VM), Go 1.26:
//
//	BenchmarkCompare_5MiBJSON                       0.35-0.46 s/op  340 MB/op
//	    two 5 MiB compliance-like uploads read from the store, both
//	    decoded and diffed (about 1400 features of 200 devices each, a
//	    figure changed in every tenth)
//	BenchmarkDecode_50MiBZip/max_decoded=64MiB      0.35 s/op  147 MiB live
//	BenchmarkDecode_50MiBZip/max_decoded=256MiB     1.3 s/op   592 MiB live
//	    a 50 MiB usage-like bundle of 178 inner zips holding 254 MiB of
//	    CSV, decoded, flattened and scanned for personal data
//
// Decoding stops at inspect.Options.MaxTotal (serve's default, from
// inspect.max_decoded_bytes, is 64 MiB), and the live heap of a decoded
// body stays near 2.3 times that bound (its bytes and its text), whatever
// the input holds. The worker analyses one capture at a time, and a body
// is read whole (at most capture.max_body_bytes).
package analysis
