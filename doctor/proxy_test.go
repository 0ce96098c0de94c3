package doctor

import (
	"strings"
	"testing"
)

func TestProxyVerdict(t *testing.T) {
	cases := []struct {
		p      winHTTPProxy
		listen string
		status string
	}{
		{winHTTPProxy{Proxy: "127.0.0.1:8080", Bypass: "<local>"}, "127.0.0.1:8080", checkOK},
		{winHTTPProxy{Proxy: "localhost:8080"}, "0.0.0.0:8080", checkOK},
		{winHTTPProxy{Proxy: "http=proxy:3128;https=127.0.0.1:8080"}, "127.0.0.1:8080", checkOK},
		{winHTTPProxy{Proxy: "http://127.0.0.1:8080"}, "127.0.0.1:8080", checkOK},
		{winHTTPProxy{Proxy: "http=127.0.0.1:8080;https=proxy:3128"}, "127.0.0.1:8080", checkWarn}, // https goes elsewhere
		{winHTTPProxy{Proxy: "proxy.corp:3128"}, "127.0.0.1:8080", checkWarn},
		{winHTTPProxy{Proxy: "127.0.0.1:8081"}, "127.0.0.1:8080", checkWarn},
		{winHTTPProxy{Direct: true}, "127.0.0.1:8080", checkWarn},
	}
	for _, c := range cases {
		status, msg := proxyVerdict(c.p, c.listen)
		if status != c.status || !strings.Contains(msg, "Configure a proxy server manually") {
			t.Errorf("%+v vs %s: got %s %q, want %s and what doctor cannot read", c.p, c.listen, status, msg, c.status)
		}
	}
}
