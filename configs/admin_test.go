package configs

import (
	"errors"
	"testing"
)

func TestAdminTLS_RequiredOffLoopback(t *testing.T) {
	for yaml, wantKey := range map[string]string{
		"admin:\n  listen: 127.0.0.1:8081\n":                                     "",
		"admin:\n  listen: localhost:8081\n":                                     "",
		"admin:\n  listen: \"[::1]:8081\"\n":                                     "",
		"admin:\n  listen: 0.0.0.0:8081\n":                                       "admin.listen",
		"admin:\n  listen: \":8081\"\n":                                          "admin.listen",
		"admin:\n  listen: 10.1.2.3:8081\n":                                      "admin.listen",
		"admin:\n  listen: 0.0.0.0:8081\n  tls: auto\n":                          "",
		"admin:\n  listen: 0.0.0.0:8081\n  tls_cert: c.pem\n  tls_key: k.pem\n":  "",
		"admin:\n  listen: 0.0.0.0:8081\n  tls: yes\n":                           "admin.tls",
		"admin:\n  tls_cert: c.pem\n":                                            "admin.tls_cert",
		"admin:\n  tls: auto\n  tls_cert: c.pem\n  tls_key: k.pem\n":             "admin.tls",
		"admin:\n  tls: auto\n  tls_names: [licsrv01.corp, 10.0.0.5, \"a b\"]\n": "admin.tls_names[2]",
	} {
		_, err := Parse([]byte(yaml))
		var ke *KeyError
		switch {
		case wantKey == "" && err != nil:
			t.Errorf("%q: got %v, want no error", yaml, err)
		case wantKey != "" && (!errors.As(err, &ke) || ke.Key != wantKey):
			t.Errorf("%q: got %v, want an error about %s", yaml, err, wantKey)
		}
	}
}
