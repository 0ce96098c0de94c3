// Package doctor checks a Telltale deployment the way a new operator
// would, and writes one line per check: ok, warn or fail.
//
//	err := doctor.Run(doctor.Options{Out: os.Stdout, Load: load})
//
// The checks: the configuration, the ports, who may use the proxy, the
// CA (present, valid, covering intercept.hosts), the clock, the store
// (its newest leaves against the tree; when serve holds it, serve's
// /readyz), free disk, the path to each intercepted host (DNS, connect,
// TLS, as serve dials it), this machine's trust of the CA, alerts (a test
// alert with SendAlert) and the TSA (a test timestamp). A fail means
// Telltale will not work as configured, and Run returns ErrChecksFailed;
// a warn is worth a look but does not stop it. It works whether or not
// serve is running. `telltale doctor` is the command that calls it.
package doctor
