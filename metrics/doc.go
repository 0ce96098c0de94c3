// Package metrics exposes Telltale's Prometheus metrics from a registry of
// its own (never the global one, so that tests and embedders get exactly
// these series): exchanges by host, kind and status class, bytes, upstream
// errors, capture failures, store commit latency and size, free disk,
// retention, alerts, the age of the last signed checkpoint and drift
// events.
//
// Metrics is fed by proxy.Options.Observe (Observe), store.Options.OnCommit
// (ObserveCommit) and serve's housekeeping (SetUsage, SetDiskFree,
// Pruned); SetCheckpoint, Drift and NewEndpoint are for the evidence and
// inspect code. Handler serves the text format; package server puts it
// behind the admin token at /metrics.
//
// Host labels come from the traffic. To keep the series bounded on a proxy
// that runs for months, only the first Options.MaxHosts distinct hosts get
// a label of their own; later ones are counted under host="_other".
package metrics
