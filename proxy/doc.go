// Package proxy is Telltale's forward proxy: it opens the TLS of intercepted
// hosts, records every exchange before forwarding it, and forwards it
// unchanged.
//
// goproxy accepts proxy clients and dispatches each request: CONNECT to an
// intercepted host is hijacked into serveMITM, which terminates the client's
// TLS with a certificate from the Minter and serves HTTP/1.1 on it with its
// own parser (wire.go), so header names keep the client's spelling; other
// CONNECTs are tunnelled (serveTunnel) or denied; plain-HTTP requests go
// through handlePlain.
//
// Every intercepted exchange follows one path (exchange.go): the request
// body is spooled into a store.Body, the request record is appended and
// made durable (write-ahead: the store group-commits across concurrent
// requests), and only then does the request go upstream, once, through
// upstreamPool (pool.go), under one deadline (upstream.go). The response
// streams back to the client through a captureBody tee, and the response
// record is appended when it ends, as a record of its own, so that nothing
// written earlier is ever rewritten.
//
// What cannot be forwarded exactly as recorded (target.go) is refused with
// 400 and recorded as denied; limit.go and tunnel.go bound how many client
// connections are open and how long they may sit idle.
package proxy
