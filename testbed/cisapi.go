package testbed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The CIS handlers check what they receive as strictly as a real service
// would have to (hashes included), so that a proxy that alters a body makes
// the upload fail visibly. Invented: every path and reply body.

const (
	productCompliance = "LicenseServerCompliance"   // public
	productUsage      = "LicenseServer.OnPremUsage" // public
	manifestName      = "manifest.json"             // Invented
)

func (l *LAS) compliance(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		writeError(w, http.StatusUnsupportedMediaType, "compliance upload must be Content-Encoding: gzip")
		return
	}
	body, _ := io.ReadAll(r.Body)
	up, err := decodeCompliance(body)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, uploadReceipt{
		UploadID: uuidOf(l.derive("upload", sha256Hex(body))), Status: "Accepted", Product: up.Product,
	})
}

// decodeCompliance gunzips and checks a compliance upload, UI hash included.
func decodeCompliance(gz []byte) (complianceUpload, error) {
	var up complianceUpload
	raw, err := gunzip(gz)
	if err != nil {
		return up, fmt.Errorf("gunzip compliance upload: %w", err)
	}
	if err := json.Unmarshal(raw, &up); err != nil {
		return up, fmt.Errorf("decode compliance upload: %w", err)
	}
	if up.Product != productCompliance || up.Version != "2.0" {
		return up, fmt.Errorf("want product %s version 2.0, got %q %q", productCompliance, up.Product, up.Version)
	}
	if got := sha256Hex(up.Data); got != up.UI {
		return up, fmt.Errorf("UI integrity hash %s does not match data %s", up.UI, got)
	}
	var data complianceData
	if err := json.Unmarshal(up.Data, &data); err != nil || data.LicenseServer.GUID == "" {
		return up, errors.New("compliance data needs LicenseServer.GUID")
	}
	return up, nil
}

func (l *LAS) usage(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m, err := decodeUsage(body)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, uploadReceipt{
		UploadID: uuidOf(l.derive("upload", sha256Hex(body))), Status: "Accepted",
		Product: m.Product, Files: m.TotalFiles,
	})
}

// decodeUsage opens a usage bundle and checks its manifest against the
// files it carries.
func decodeUsage(bundle []byte) (usageManifest, error) {
	var m usageManifest
	files, err := unzip(bundle)
	if err != nil {
		return m, fmt.Errorf("open usage bundle: %w", err)
	}
	inner := make(map[string][]byte)
	for _, f := range files {
		if f.name == manifestName {
			if err := json.Unmarshal(f.data, &m); err != nil {
				return m, fmt.Errorf("decode %s: %w", manifestName, err)
			}
		} else {
			inner[f.name] = f.data
		}
	}
	if m.Version != "1.0" || m.Product != productUsage {
		return m, fmt.Errorf("want %s manifest version 1.0, got %q %q", productUsage, m.Product, m.Version)
	}
	if m.TotalFiles != len(inner) || m.TotalFiles != len(m.Files) {
		return m, fmt.Errorf("TotalFiles %d, but %d files listed and %d carried", m.TotalFiles, len(m.Files), len(inner))
	}
	var joined strings.Builder
	for _, f := range m.Files {
		if sha256Hex(inner[f.Name]) != f.Hash {
			return m, fmt.Errorf("hash of %s does not match the manifest", f.Name)
		}
		joined.WriteString(f.Hash)
	}
	if sha256Hex([]byte(joined.String())) != m.BundleHash {
		return m, errors.New("BundleHash does not match the files")
	}
	if manifestHash(m) != m.ManifestHash {
		return m, errors.New("ManifestHash does not match the manifest")
	}
	return m, nil
}

// manifestHash is the SHA-256 of the manifest encoded with ManifestHash "".
func manifestHash(m usageManifest) string {
	m.ManifestHash = ""
	b, _ := json.Marshal(m)
	return sha256Hex(b)
}

func (l *LAS) callHome(w http.ResponseWriter, r *http.Request) {
	var ch callHome
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &ch); err != nil || ch.LSGUID == "" {
		writeError(w, http.StatusBadRequest, "call home needs JSON with an LSGUID")
		return
	}
	next := ""
	if at, err := time.Parse(time.RFC3339, ch.UTCDate); err == nil {
		next = at.Add(24 * time.Hour).UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "Received", "nextCallHomeUtc": next})
}

// ceip answers 204: a telemetry sink has nothing to say back.
func (l *LAS) ceip(w http.ResponseWriter, r *http.Request) {
	var ev ceipEvent
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		writeError(w, http.StatusBadRequest, "decode telemetry: "+err.Error())
		return
	}
	if ev.Header.Type != "SendBrokerTelemetryData" || ev.Header.Prod != "OnPrem.Broker" {
		writeError(w, http.StatusUnprocessableEntity, "want header type SendBrokerTelemetryData, prod OnPrem.Broker")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
