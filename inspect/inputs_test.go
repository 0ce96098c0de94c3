package inspect

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// The payloads below follow the data elements Citrix documents (see
// shared/las-reference.md); Citrix publishes no wire format, so every key
// spelling, nesting and value here is the testbed's invention.

// decodeCase is a body with its Meta, committed under testdata/decode so
// that goldens do not move when a compressor's output does.
type decodeCase struct {
	name  string
	meta  Meta
	build func(tb testing.TB) []byte
}

var decodeCases = []decodeCase{
	{"compliance_gzip", Meta{ContentType: "application/json", ContentEncoding: "gzip"},
		func(tb testing.TB) []byte { return gz(tb, mustJSON(tb, complianceDoc(3, 0))) }},
	{"usage_zip", Meta{ContentType: "application/octet-stream", Name: "upload.zip"},
		func(tb testing.TB) []byte { return usageBundle(tb, 1683864965, 1683951365) }},
	{"offline_activation_multipart", Meta{ContentType: "multipart/form-data; boundary=telltale-boundary"},
		offlineActivation},
	{"token_form", Meta{ContentType: "application/x-www-form-urlencoded"}, tokenForm},
	{"compliance_xml", Meta{ContentType: "text/xml; charset=utf-8"},
		func(testing.TB) []byte { return []byte(complianceXML) }},
	{"jwt_in_json", Meta{ContentType: "application/json"}, func(tb testing.TB) []byte {
		return mustJSON(tb, map[string]any{"token": testJWT(tb), "expiresIn": 3600})
	}},
	{"jwt_body", Meta{ContentType: "application/jwt"}, func(tb testing.TB) []byte { return []byte(testJWT(tb)) }},
	{"base64_gzip_field", Meta{ContentType: "application/json"}, base64Field},
	{"gzip_br_chain", Meta{ContentType: "application/json", ContentEncoding: "gzip, br"},
		func(tb testing.TB) []byte { return br(tb, gz(tb, []byte(`{"ver":"1.0","platform":"LicenseServer"}`))) }},
	{"zstd_body", Meta{ContentEncoding: "zstd"},
		func(tb testing.TB) []byte { return zst(tb, []byte(`{"ver":"1.0","lsguid":"b3c1e4a2"}`)) }},
	{"json_declared_but_text", Meta{ContentType: "application/json"},
		func(testing.TB) []byte { return []byte("Service Unavailable\n") }},
	{"gzip_declared_but_plain", Meta{ContentType: "application/json", ContentEncoding: "gzip"},
		func(testing.TB) []byte { return []byte(`{"ok":true}`) }},
}

// loadCase reads a case's committed body, rebuilding it under -update.
func loadCase(tb testing.TB, c decodeCase) []byte {
	tb.Helper()
	path := filepath.Join("testdata", "decode", c.name+".body")
	if *update {
		mustWrite(tb, path, c.build(tb))
	}
	body, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read input: %v (run go test ./inspect -update)", err)
	}
	return body
}

func gz(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func br(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := brotli.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func zst(tb testing.TB, b []byte) []byte {
	tb.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

var fixedTime = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

type file struct {
	name   string
	data   []byte
	stored bool
}

func zipOf(tb testing.TB, files ...file) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: fixedTime}
		if f.stored {
			h.Method = zip.Store
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := fw.Write(f.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func tarOf(tb testing.TB, files ...file) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: fixedTime,
			Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := w.WriteHeader(h); err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// complianceDoc is a LicenseServerCompliance 2.0 upload with n features;
// bump changes the figures, so two calls with different bumps differ.
func complianceDoc(n, bump int) map[string]any {
	ids := []string{"CAG_AAC_CCU", "XDT_PLT_UD", "XDS_ADV_CCS", "MPS_ENT_CCU", "XDT_ENT_UD"}
	var features []any
	for i := range n {
		id := ids[i%len(ids)]
		if i >= len(ids) {
			id = fmt.Sprintf("%s_%d", id, i)
		}
		features = append(features, map[string]any{
			"id":              id,
			"UserReportUTC":   "2026-11-20T01:00:00Z",
			"DeviceReportUTC": "2026-11-20T01:00:05Z",
			"UsersReleased":   3 + i,
			"DevicesReleased": 1 + i,
			"SADate":          []any{map[string]any{"Start": "2026-11-19T00:00:00Z", "Stop": "2026-11-20T00:00:00Z"}},
			"CountUsedMax":    40 + i + bump,
			"CCUDevices":      []any{fmt.Sprintf("dev-%04d", i), fmt.Sprintf("dev-%04d", i+1)},
		})
	}
	return map[string]any{
		"Product":              "LicenseServerCompliance",
		"Version":              "2.0",
		"UTCDate":              fixedTime.Add(time.Duration(bump) * 24 * time.Hour).Format(time.RFC3339),
		"Date":                 "2026-11-20T03:00:00+01:00",
		"ProductUTCDeployDate": "2026-04-15T09:12:00Z",
		"UI":                   strings.Repeat("ab", 32),
		"LicenseServer": map[string]any{
			"GUID":              "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
			"HardwareId":        "HW-8C1645A2",
			"FQDN":              "lic01.corp.example",
			"InstallUTC":        "2026-04-15T09:00:00Z",
			"Version":           "11.17.2.0 build 54100",
			"SGPClockErrorCode": 0,
			"SGPMaxDays":        30,
		},
		"features": features,
	}
}

// usageBundle is a LicenseServer.OnPremUsage upload: a manifest and one
// stored inner zip per epoch.
func usageBundle(tb testing.TB, epochs ...int64) []byte {
	tb.Helper()
	var files []any
	entries := []file{}
	for i, e := range epochs {
		name := fmt.Sprintf("ue_lt_%d.zip", e)
		usage := mustJSON(tb, map[string]any{"events": []any{
			map[string]any{"user": "alice@corp.example", "feature": "XDS_ADV_CCS", "checkout": e*1000 + 35000},
			map[string]any{"user": fmt.Sprintf("user%d@corp.example", i), "feature": "XDS_ADV_CCS", "checkout": e*1000 + 90000},
		}})
		entries = append(entries, file{name: name, data: zipOf(tb, file{name: "usage.json", data: usage}), stored: true})
		files = append(files, map[string]any{"Name": name, "Hash": strings.Repeat("0f", 32),
			"EventStart": e * 1000, "EventEnd": e*1000 + 86399999, "OfferingType": "Broker"})
	}
	manifest := mustJSON(tb, map[string]any{
		"Product": "LicenseServer.OnPremUsage", "ManifestVersion": "1.0",
		"GUID": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "UploadType": "Auto",
		"Ccid": "acme1234", "OrgID": "org-5566", "TotalFiles": len(epochs),
		"Serials": []any{map[string]any{"id": "XDS_ADV_CCS", "SADate": "2027-01-01", "SN": "LA-0012345678-12345"}},
		"Files":   files, "BundleHash": strings.Repeat("1e", 32), "ManifestHash": strings.Repeat("2d", 32),
	})
	return zipOf(tb, append([]file{{name: "manifest.json", data: manifest}}, entries...)...)
}

// offlineActivation is the multipart upload the NetScaler terraform
// provider sends to importofflineactivationrequest: a request.tgz file part
// and a JSON data field.
func offlineActivation(tb testing.TB) []byte {
	return offlineActivationWith(tb, "b3c1e4a2-0d1f-4e5a-9b8c-7d6e5f4a3b2c")
}

func offlineActivationWith(tb testing.TB, lsguid string) []byte {
	tb.Helper()
	req := mustJSON(tb, map[string]any{"lsguid": lsguid, "ver": "1.0",
		"lsfingerprint": "FP-0A1B2C", "hostname": "lic01.corp.example"})
	tgz := gz(tb, tarOf(tb, file{name: "ns_offline_activation_request.json", data: req}))
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary("telltale-boundary"); err != nil {
		tb.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="request.tgz"`)
	h.Set("Content-Type", "application/octet-stream")
	fw, err := w.CreatePart(h)
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write(tgz)
	w.WriteField("data", `{"ver":"1.0","lsfingerprint":"FP-0A1B2C"}`)
	w.Close()
	return buf.Bytes()
}

func tokenForm(testing.TB) []byte {
	v := []string{
		"grant_type=client_credentials",
		"clientId=" + url.QueryEscape("telltale-test"),
		"clientSecret=" + url.QueryEscape("not-a-real-secret"),
		"scope=licensing", "scope=telemetry",
		"object=" + url.QueryEscape(`{"nslaslicense":{"filename":"blob.tgz","fixedbandwidth":true}}`),
	}
	return []byte(strings.Join(v, "&"))
}

const complianceXML = `<?xml version="1.0" encoding="UTF-8"?>
<LicenseServerCompliance version="2.0" xmlns="urn:example:telltale">
  <!-- invented by the testbed: Citrix publishes no XML form -->
  <LicenseServer GUID="6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f" FQDN="lic01.corp.example"/>
  <Feature id="CAG_AAC_CCU" CountUsedMax="42">
    <UsersReleased>3</UsersReleased>
    <CCUDevices><Device>dev-0001</Device><Device>dev-0002</Device></CCUDevices>
  </Feature>
  <Feature id="XDT_PLT_UD" CountUsedMax="17"/>
  <Comment lang="en">manual upload</Comment>
</LicenseServerCompliance>
`

func testJWT(tb testing.TB) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString(mustCompact(tb, map[string]any{"alg": "RS256", "typ": "JWT", "kid": "test-key"}))
	c := enc.EncodeToString(mustCompact(tb, map[string]any{"iss": "trust.example", "sub": "telltale-test",
		"ccid": "acme1234", "iat": 1789990000, "exp": 1790000000}))
	return h + "." + c + "." + enc.EncodeToString([]byte("not a real signature, not verified"))
}

func mustCompact(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func base64Field(tb testing.TB) []byte { return base64FieldWith(tb, 5) }

// base64FieldWith wraps a gzip-compressed JSON feature reporting count in
// a base64 string field.
func base64FieldWith(tb testing.TB, count int) []byte {
	inner := gz(tb, mustCompact(tb, map[string]any{"id": "CAG_AAC_CCU", "CountUsedMax": count}))
	return mustJSON(tb, map[string]any{
		"ver":     "1.0",
		"payload": base64.StdEncoding.EncodeToString(inner),
		"short":   "aGVsbG8=",                                                              // too short to try
		"hash":    base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa7, 0x13}, 16)), // binary: left alone
		"hex":     strings.Repeat("9f", 32),                                                // hex digits are base64 too
	})
}
