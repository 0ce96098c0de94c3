package certs

import "errors"

// Sentinel errors returned (wrapped) by this package; test with errors.Is.
var (
	// ErrNotPermitted means a leaf was requested for a name the CA's name
	// constraints do not allow, for an IP address, or for something that is
	// not a DNS name at all.
	ErrNotPermitted = errors.New("host not permitted by the interception CA")

	// ErrInvalidPattern means the intercept hosts given to create a CA are
	// missing or malformed.
	ErrInvalidPattern = errors.New("invalid intercept hosts")

	// ErrInsecureKey means a private key file is readable by group or
	// others. The error message names the file and the chmod to run.
	ErrInsecureKey = errors.New("private key file is readable by group or others")
)
