// Package certs mints the identities Telltale presents when it intercepts
// TLS: a local certificate authority, the short-lived leaf certificates it
// signs per host, and the Ed25519 key that signs the evidence log.
//
// Start with [Open]. It loads the CA from a directory or creates one there,
// constrained to the intercept hosts from config:
//
//	ca, created, err := certs.Open(dir, certs.Options{Hosts: cfg.Intercept, Logger: log})
//	...
//	tlsConn := tls.Server(clientConn, ca.ServerConfig(host))
//
// # Why the CA is constrained
//
// Users install the CA in their trust store, so anyone holding its key could
// impersonate any site to them. To keep that damage bounded the CA carries
// critical X.509 Name Constraints (RFC 5280, section 4.2.1.10): it may only
// vouch for the DNS subtrees named in [Options.Hosts] and never for an IP
// address. An exact host "las.cloud.com" permits that name and its
// subdomains (dNSName constraints cannot express a single name); a pattern
// "*.citrixworkspacesapi.net" permits citrixworkspacesapi.net and below.
// The constraints are fixed when the CA is created: [Authority.Uncovered]
// reports config patterns added later, and [Rotate] replaces the CA with one
// that covers them. [Authority.Leaf] refuses, with [ErrNotPermitted], any
// name the constraints do not allow, so Telltale never mints a certificate
// that a careful client would reject anyway.
//
// # Files
//
// The directory (created 0700) holds:
//
//	ca.pem           the CA certificate, 0644; this is what users install
//	ca-key.pem       its ECDSA P-256 key ("EC PRIVATE KEY" PEM), 0600
//	retired/<UTC>/   earlier CAs moved aside by Rotate, kept so that past
//	                 captures stay explainable
//	log.key          the evidence-log signing key (a golang.org/x/mod/sumdb/note
//	                 "PRIVATE+KEY+..." string), 0600; see [OpenSigner]
//	log.pub          its verifier key, 0644, for anyone checking the log
//
// Files are written atomically (temporary file, then rename). A private key
// readable by group or others is refused on load ([ErrInsecureKey]), except
// on Windows, where Unix permission bits do not describe access. Key
// material is never logged or returned in errors; [Authority.KeyPath] gives
// the path for messages.
//
// # Leaves
//
// Each leaf has a fresh P-256 key, a 128-bit random serial, the host as its
// only SAN, and a validity of [Options.LeafValidity] (7 days by default),
// never beyond the CA's own expiry. Leaves are cached per host and minted
// again once less than a quarter of their validity remains; concurrent
// first requests for one host share a single mint.
package certs
