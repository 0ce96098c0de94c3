// Package admin is Telltale's admin API and review UI: an HTTP server on
// the admin listener (loopback by default, TLS elsewhere) that answers the
// CLI while `serve` holds the store, and serves the single-page review UI
// embedded from ui/ (captures, capture detail, diff, timeline, evidence).
// Every /api/ route needs the admin token (Authorization: Bearer) or a
// browser session opened with a one-time login nonce (auth.go); nothing it
// serves is key material.
//
// The files: server.go has the CLI's routes and the route list; list.go
// and catalog.go page and filter captures from an in-memory catalog of the
// log; search.go and changes.go are the filters that read bodies;
// events.go streams new captures; proof.go and export.go are the Evidence
// page; review.go lists the UI's routes; analysis.go and snapshot.go serve
// the analysis and the evidence commands.
//
// Client is the CLI's side of the same API: reading commands use the store
// file directly when they can open it, and a Client when serve holds it.
package admin
