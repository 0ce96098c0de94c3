// Package admin is Telltale's admin API: an HTTP server on the admin
// listener (loopback by default) that answers the CLI while `serve` holds
// the store, and later the review UI. Every request needs the admin token
// (Authorization: Bearer); nothing it serves is key material.
//
// Client is the CLI's side of the same API: reading commands use the store
// file directly when they can open it, and a Client when serve holds it.
package admin
