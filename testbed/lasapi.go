package testbed

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// renew answers the daily renewal and registers the License Server, so that
// a later listls finds it. Invented: path, bodies and the 30-day validity.
func (l *LAS) renew(w http.ResponseWriter, r *http.Request) {
	var req renewRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "decode renewal: "+err.Error())
		return
	}
	at, err := time.Parse(time.RFC3339, req.UTCDate)
	if err != nil || req.LSGUID == "" || req.LSFingerprint == "" {
		writeError(w, http.StatusUnprocessableEntity, "renewal needs lsguid, lsfingerprint and an RFC 3339 utcdate")
		return
	}
	ccid := r.PathValue("ccid")
	l.mu.Lock()
	rec, ok := l.servers[ccid][req.LSGUID]
	if !ok {
		rec.activationID = uuidOf(l.derive("activation", ccid, req.LSGUID))
	}
	rec.LSGUID, rec.LSFingerprint, rec.Hostname = req.LSGUID, req.LSFingerprint, req.Hostname
	rec.LSVersion, rec.LastRenewalUTC = req.LSVersion, req.UTCDate
	if l.servers[ccid] == nil {
		l.servers[ccid] = make(map[string]lsRecord)
	}
	l.servers[ccid][req.LSGUID] = rec
	l.mu.Unlock()
	writeJSON(w, http.StatusOK, renewResponse{
		Status:        "Renewed",
		LSGUID:        req.LSGUID,
		ActivationID:  rec.activationID,
		RenewedUTC:    req.UTCDate,
		ValidUntilUTC: at.AddDate(0, 0, 30).UTC().Format(time.RFC3339),
		Licenses:      req.Licenses,
	})
}

// listls returns the License Servers registered under the customer (public
// shape: lsguid and lsfingerprint).
func (l *LAS) listls(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	var recs []lsRecord
	for _, rec := range l.servers[r.PathValue("ccid")] {
		recs = append(recs, rec)
	}
	l.mu.Unlock()
	slices.SortFunc(recs, func(a, b lsRecord) int { return strings.Compare(a.LSGUID, b.LSGUID) })
	writeJSON(w, http.StatusOK, listlsResponse{Product: r.PathValue("product"), LicenseServers: recs})
}

// offline takes the public multipart shape: request.tgz holding
// ns_offline_activation_request.json (with lsguid) plus a JSON part. It
// answers newactivationid and a .tgz activation blob. Invented: the path,
// the form field names and the blob's content.
func (l *LAS) offline(w http.ResponseWriter, r *http.Request) {
	reqJSON, err := readOfflineForm(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var req offlineRequest
	if err := json.Unmarshal(reqJSON, &req); err != nil || req.LSGUID == "" {
		writeError(w, http.StatusUnprocessableEntity, "ns_offline_activation_request.json needs an lsguid")
		return
	}
	at, _ := time.Parse(time.RFC3339, req.RequestUTC)
	ccid := r.PathValue("ccid")
	newID := uuidOf(l.derive("offline", ccid, req.LSGUID, sha256Hex(reqJSON)))
	l.mu.Lock()
	if rec, ok := l.servers[ccid][req.LSGUID]; ok {
		rec.activationID = newID
		l.servers[ccid][req.LSGUID] = rec
	}
	l.mu.Unlock()
	activation, _ := json.Marshal(map[string]any{
		"lsguid": req.LSGUID, "newactivationid": newID, "product": r.PathValue("product"),
		"issuedutc": req.RequestUTC, "licenses": req.Licenses,
		"signature": l.derive("offline-signature", newID),
	})
	writeJSON(w, http.StatusOK, offlineResponse{
		NewActivationID: newID,
		LSGUID:          req.LSGUID,
		BlobName:        "ns_offline_activation_response.tgz",
		Blob:            tarGz(at, file{"ns_offline_activation_response.json", activation}),
	})
}

// readOfflineForm returns ns_offline_activation_request.json from the
// request.tgz part, after checking that a JSON part came with it.
func readOfflineForm(r *http.Request) ([]byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("offline activation must be multipart/form-data: %w", err)
	}
	var tgz []byte
	var form offlineForm
	sawForm := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read multipart: %w", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("read part %q: %w", p.FormName(), err)
		}
		switch {
		case p.FileName() == "request.tgz":
			tgz = data
		case strings.HasPrefix(p.Header.Get("Content-Type"), "application/json"):
			sawForm = json.Unmarshal(data, &form) == nil
		}
	}
	if tgz == nil || !sawForm {
		return nil, fmt.Errorf("offline activation needs a request.tgz part and a JSON part")
	}
	files, err := untarGz(tgz)
	if err != nil {
		return nil, fmt.Errorf("request.tgz: %w", err)
	}
	reqJSON, ok := files["ns_offline_activation_request.json"]
	if !ok {
		return nil, fmt.Errorf("request.tgz lacks ns_offline_activation_request.json")
	}
	return reqJSON, nil
}

// entitlements answers the public NetScaler call (POST {"ver":"1.0",
// "platform":...}); the License Server never makes it. Invented reply.
func (l *LAS) entitlements(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Ver      string `json:"ver"`
		Platform string `json:"platform"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Ver == "" {
		writeError(w, http.StatusBadRequest, `entitlements request needs {"ver":...,"platform":...}`)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"ver": req.Ver, "platform": req.Platform,
		"entitlements": []map[string]any{{"product": "netscalerfixedbw", "quantity": 1000, "unit": "Mbps"}},
	})
}
