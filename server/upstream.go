package server

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/telltale/telltale/configs"
)

// How serve reaches the vendor; doctor checks the path the same way.

// UpstreamRoots are the system roots plus upstream.ca_file.
func UpstreamRoots(cfg *configs.Config) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if cfg.Upstream.CAFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(cfg.Upstream.CAFile)
	if err != nil {
		return nil, configErr(fmt.Errorf("upstream.ca_file: %w", err))
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, configErr(fmt.Errorf("upstream.ca_file: %s holds no PEM certificate", cfg.Upstream.CAFile))
	}
	return pool, nil
}

// ParentProxy is upstream.proxy with the credentials of
// upstream.proxy_auth_env ("user:password") when the URL has none.
func ParentProxy(cfg *configs.Config) (*url.URL, error) {
	if cfg.Upstream.Proxy == "" {
		return nil, nil
	}
	u, err := url.Parse(cfg.Upstream.Proxy)
	if err != nil {
		return nil, configErr(err)
	}
	env := cfg.Upstream.ProxyAuthEnv
	if env == "" || u.User != nil {
		return u, nil
	}
	v, ok := os.LookupEnv(env)
	if !ok || v == "" {
		return nil, configErr(errors.New("upstream.proxy_auth_env: the environment variable " + env + " is not set (want user:password)"))
	}
	user, pass, _ := strings.Cut(v, ":")
	u.User = url.UserPassword(user, pass)
	return u, nil
}
