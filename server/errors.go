package server

// ConfigError is an error in the configuration or in a file it names (the
// CA no longer covers intercept.hosts, admin.tls_cert does not load,
// upstream.proxy_auth_env is unset...): the operator must change the
// configuration, and `telltale` exits 2 on it as on bad usage.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(err error) error { return &ConfigError{err} }
