package testbed

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestLAS_Certificate_CoversEveryHost(t *testing.T) {
	las := MustStartLAS(t, LASOptions{})
	block, _ := pem.Decode(las.CAPEM())
	if block == nil {
		t.Fatal("CAPEM holds no PEM block")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse CA: %v", err)
	}
	if pub, ok := ca.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key: got %T, want ECDSA P-256", ca.PublicKey)
	}
	if !ca.IsCA || !ca.MaxPathLenZero || len(ca.SubjectKeyId) == 0 {
		t.Errorf("CA: IsCA %v MaxPathLenZero %v SKI %x, want true true non-empty", ca.IsCA, ca.MaxPathLenZero, ca.SubjectKeyId)
	}
	for _, host := range []string{
		"las.cloud.com", "api.cloud.com", "api-us.cloud.com", "api-eu.cloud.com",
		"trust.citrixworkspacesapi.net", "trust.citrixnetworkapi.net", "cis.citrix.com",
		"core.citrixworkspacesapi.net", "customers.citrixworkspacesapi.net",
		"licensing.citrixworkspacesapi.net", "notifications.citrixworkspacesapi.net",
		"las.citrixcloud.jp", "api.citrixcloud.jp", "las.cloud.us",
	} {
		if !slices.Contains(las.Hosts(), host) {
			t.Errorf("Hosts lacks %s", host)
		}
		if got := las.Resolve()[host+":443"]; got != las.Addr() {
			t.Errorf("Resolve[%s:443]: got %q, want %q", host, got, las.Addr())
		}
		conn, err := tls.Dial("tcp", las.Addr(), &tls.Config{ServerName: host, RootCAs: las.RootCAs()})
		if err != nil {
			t.Errorf("TLS to %s: %v", host, err)
			continue
		}
		conn.Close()
	}
}

func TestLAS_Probe_AnswersEveryHostAndRefusesOthers(t *testing.T) {
	las := MustStartLAS(t, LASOptions{})
	hc := httpClient(las)
	for _, host := range las.Hosts() {
		resp, err := hc.Get("https://" + host + "/")
		if err != nil {
			t.Fatalf("GET %s: %v", host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200", host, resp.StatusCode)
		}
	}
	// A name the certificate carries but the testbed does not route.
	resp, err := hc.Get("https://" + las.Addr() + "/")
	if err != nil {
		t.Fatalf("GET by address: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("unknown host: got %d, want 421", resp.StatusCode)
	}
	exs := las.Received()
	if got, want := len(exchangesOf(exs, EndpointProbe)), len(las.Hosts()); got != want {
		t.Errorf("probe exchanges: got %d, want %d", got, want)
	}
	if exs[0].SNI != exs[0].Host {
		t.Errorf("SNI: got %q, want %q", exs[0].SNI, exs[0].Host)
	}
}

func TestLAS_Auth_RejectsMissingOrUnknownToken(t *testing.T) {
	las := MustStartLAS(t, LASOptions{})
	hc := httpClient(las)
	post := func(url, auth, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	renew := "https://las.cloud.com/" + DefaultCCID + "/licenseserver/activation/renew"
	renewBody := `{"ver":"1.0","lsguid":"g","lsfingerprint":"f","utcdate":"2026-05-04T02:00:00Z"}`
	for _, auth := range []string{"", "CWSAuth bearer=not-issued", "Bearer x"} {
		if got, _ := post(renew, auth, renewBody); got != http.StatusUnauthorized {
			t.Errorf("renew with Authorization %q: got %d, want 401", auth, got)
		}
	}
	if got, _ := post("https://trust.citrixworkspacesapi.net/root/tokens/clients",
		"", `{"clientId":"`+DefaultClientID+`","clientSecret":"wrong"}`); got != http.StatusUnauthorized {
		t.Errorf("token with a wrong secret: got %d, want 401", got)
	}
	status, body := post("https://trust.citrixnetworkapi.net/root/tokens/clients",
		"", `{"clientId":"`+DefaultClientID+`","clientSecret":"`+DefaultClientSecret+`"}`)
	var tok tokenResponse
	if status != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.Token == "" {
		t.Fatalf("token: got %d %s, want 200 with a token", status, body)
	}
	if got, body := post(renew, "CWSAuth bearer="+tok.Token, renewBody); got != http.StatusOK {
		t.Errorf("renew with the token: got %d %s, want 200", got, body)
	}
}

// TestLAS_Received_HTTP1WireOrder writes requests by hand on one
// connection: header order and case must come back as written, the
// chunked body de-chunked, and a request line inside a body ignored.
func TestLAS_Received_HTTP1WireOrder(t *testing.T) {
	las := MustStartLAS(t, LASOptions{DisableHTTP2: true})
	conn, err := tls.Dial("tcp", las.Addr(), &tls.Config{
		ServerName: "cis.citrix.com", RootCAs: las.RootCAs(), NextProtos: []string{"h2", "http/1.1"},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	decoy := "GET /decoy HTTP/1.1\r\nX-Decoy: 1\r\n\r\n"
	reqs := []string{
		"POST /nowhere HTTP/1.1\r\nhost: cis.citrix.com\r\nX-Zeta: z\r\nACCEPT: */*\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(decoy), decoy),
		"GET /decoy HTTP/1.1\r\nHost: cis.citrix.com\r\nTransfer-Encoding: chunked\r\nx-a: 1\r\n\r\n" +
			"5\r\nhello\r\n0\r\n\r\n",
	}
	br := bufio.NewReader(conn)
	for _, raw := range reqs {
		if _, err := io.WriteString(conn, raw); err != nil {
			t.Fatalf("write: %v", err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	exs := las.Received()
	if len(exs) != 2 {
		t.Fatalf("exchanges: got %d, want 2", len(exs))
	}
	wantHeaders := [][]Header{
		{{"host", "cis.citrix.com"}, {"X-Zeta", "z"}, {"ACCEPT", "*/*"}, {"Content-Length", fmt.Sprint(len(decoy))}},
		{{"Host", "cis.citrix.com"}, {"Transfer-Encoding", "chunked"}, {"x-a", "1"}},
	}
	wantBodies := []string{decoy, "hello"}
	wantStatus := []int{http.StatusNotFound, http.StatusOK} // no POST route; any GET is the probe
	for i, ex := range exs {
		if !slices.Equal(ex.Header, wantHeaders[i]) {
			t.Errorf("exchange %d headers: got %v, want %v", i, ex.Header, wantHeaders[i])
		}
		if string(ex.Body) != wantBodies[i] {
			t.Errorf("exchange %d body: got %q, want %q", i, ex.Body, wantBodies[i])
		}
		if ex.ALPN != "http/1.1" || ex.Conn != exs[0].Conn || ex.Status != wantStatus[i] {
			t.Errorf("exchange %d: ALPN %q conn %d status %d, want http/1.1, conn %d, %d",
				i, ex.ALPN, ex.Conn, ex.Status, exs[0].Conn, wantStatus[i])
		}
	}
	if !bytes.Contains(exs[0].Response, []byte("no such endpoint")) {
		t.Errorf("response body: got %q, want the 404 message", exs[0].Response)
	}
}
