// Package server is the Telltale daemon, `telltale serve`: it opens the
// store, the CA and the log key in the data dir, and wires them to the
// proxy and the admin API.
//
//	s, err := server.New(cfg, server.Options{Logger: log, Source: reload})
//	defer s.Close()
//	err = s.Run(ctx) // until ctx ends; then drains and signs a last checkpoint
//
// New listens (on port 0 in tests) and serves nothing until Run. Around the
// proxy and the admin API it runs:
//
//   - the checkpointer (checkpointer.go), which signs checkpoints of the
//     log at start, every evidence.checkpoint_interval, on request and at
//     shutdown, and has them timestamped and witnessed (anchors.go);
//   - operations (ops.go): metrics, alerts, the store and disk checks,
//     retention, and the health routes in front of the admin API
//     (health.go: /healthz, /readyz, /metrics, /-/reload);
//   - the analyzer (analysis.go), fed by the proxy's events, which raises
//     drift and personal-data alerts;
//   - live reload of part of the configuration (reload.go): SIGHUP,
//     POST /-/reload, the Windows service's paramchange;
//   - the admin listener's TLS (admintls.go) and DATA/admin.json
//     (admininfo.go, running.go), which tells the CLI on this machine
//     where the admin API listens and how to trust it.
//
// The package takes a parsed *configs.Config and a logger: the command
// line, the config file and the environment are cmd/telltale's. It reads
// only the data dir and the files the configuration names. Errors the
// operator fixes by changing the configuration are *ConfigError.
package server
