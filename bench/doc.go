// Package bench measures Telltale against a direct connection, bare
// goproxy MITM (the floor Telltale builds on) and mitmproxy's mitmdump, on
// one machine in one run: the same local TLS upstream, the same client
// load, a fresh proxy process and store for every measurement.
//
// cmd/telltale-bench is its command line; README.md shows how to run it and
// the figures of one run.
package bench
