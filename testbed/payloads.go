package testbed

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// The License Server's local time zone. Invented: any fixed zone would do;
// a fixed one keeps runs reproducible on any machine.
var siteZone = time.FixedZone("EST", -5*3600)

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("testbed: encode %T: %v", v, err)) // only our own types
	}
	return b
}

func (s *site) licenses() []licenseCount {
	var ls []licenseCount
	for _, f := range s.active() {
		ls = append(ls, licenseCount{LicenseID: f.id, Quantity: f.installed, SADate: f.saDate})
	}
	return ls
}

func (s *site) renewBody(at time.Time) []byte {
	return mustJSON(renewRequest{
		Ver: "1.0", Platform: "Windows", LSGUID: s.lsguid, LSFingerprint: s.fingerprint,
		LSVersion: s.version, Hostname: s.fqdn, ActivationID: s.activationID,
		UTCDate: utc(at), Licenses: s.licenses(),
	})
}

// offlineBody returns the multipart body of the offline activation and its
// Content-Type. The boundary is drawn from the seed, not crypto/rand.
func (s *site) offlineBody(at time.Time) ([]byte, string) {
	reqJSON := mustJSON(offlineRequest{
		LSGUID: s.lsguid, LSFingerprint: s.fingerprint, ActivationID: s.activationID,
		Product: lsProduct, RequestUTC: utc(at), Licenses: s.licenses(),
	})
	tgz := tarGz(at, file{"ns_offline_activation_request.json", reqJSON})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.SetBoundary("----CitrixLicensing" + randomAlnum(s.rng, 24))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="request"; filename="request.tgz"`)
	h.Set("Content-Type", "application/x-gzip")
	pw, _ := mw.CreatePart(h)
	pw.Write(tgz)
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="data"`)
	h.Set("Content-Type", "application/json")
	pw, _ = mw.CreatePart(h)
	pw.Write(mustJSON(offlineForm{Ver: "1.0", Platform: "Windows", Reason: "offline"}))
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// complianceBody returns the gzipped compliance upload of the day.
func (s *site) complianceBody(at time.Time, day int) []byte {
	data := complianceData{LicenseServer: complianceServer{
		GUID: s.lsguid, HardwareID: s.hardwareID, FQDN: s.fqdn, InstallUTC: utc(s.installUTC),
		Version: s.version, SGPClockErrorCode: 0,
		SGPMaxDays: 15, // Invented value: 15 days is the documented supplemental grace period.
	}}
	if day >= UpgradeDay {
		data.LicenseServer.ActivationMode = "LAS"
	}
	midnight := at.Truncate(24 * time.Hour)
	for _, f := range s.active() {
		cf := complianceFeature{
			ID:              f.id,
			UserReportUTC:   utc(at.Add(-time.Duration(s.rng.IntN(3600)) * time.Second)),
			DeviceReportUTC: utc(at.Add(-time.Duration(s.rng.IntN(3600)) * time.Second)),
			UsersReleased:   f.today.UsersReleased,
			DevicesReleased: f.today.DevicesReleased,
			CountUsedMax:    f.today.CountUsedMax,
			CCUDevices:      append([]string{}, f.inUse...),
		}
		for i := range 6 { // Invented: one sample per four hours of the previous day.
			start := midnight.Add(time.Duration(i*4-24) * time.Hour)
			cf.SADate = append(cf.SADate, saSample{SADate: f.saDate, Start: utc(start), Stop: utc(start.Add(4 * time.Hour))})
		}
		data.Features = append(data.Features, cf)
	}
	raw := mustJSON(data)
	return gzipBytes(mustJSON(complianceUpload{
		Product: productCompliance, Version: "2.0",
		UTCDate: utc(at), Date: at.In(siteZone).Format(time.RFC3339),
		ProductUTCDeployDate: utc(s.deployUTC), UI: sha256Hex(raw), Data: raw,
	}))
}

// usageBody returns the usage bundle: one ue_lt_<epoch>.zip per slice of
// the previous day, plus manifest.json.
func (s *site) usageBody(at time.Time, uploadType string) []byte {
	s.usage = map[string]*usageTally{}
	n := 3 + s.rng.IntN(6)
	end := at.Truncate(24 * time.Hour)
	span := 24 * time.Hour / time.Duration(n)
	m := usageManifest{
		Version: "1.0", Product: productUsage, GUID: s.lsguid, UploadType: uploadType,
		Ccid: s.ccid, OrgID: s.orgID, TotalFiles: n,
	}
	for _, f := range s.active() {
		m.Serials = append(m.Serials, usageSerial{LicenseID: f.id, SADate: f.saDate, SN: f.sn})
	}
	var files []file
	var hashes strings.Builder
	for i := range n {
		from := end.Add(-24 * time.Hour).Add(time.Duration(i) * span)
		to := from.Add(span)
		name := fmt.Sprintf("ue_lt_%d", to.Unix())
		inner := zipBytes(to, file{name + ".csv", s.usageEvents(from, to)})
		files = append(files, file{name + ".zip", inner})
		m.Files = append(m.Files, usageFile{
			Name: name + ".zip", Hash: sha256Hex(inner),
			EventStart: from.UnixMilli(), EventEnd: to.UnixMilli(), OfferingType: "Broker",
		})
		hashes.WriteString(sha256Hex(inner))
	}
	m.BundleHash = sha256Hex([]byte(hashes.String()))
	m.ManifestHash = manifestHash(m)
	files = append(files, file{manifestName, mustJSON(m)})
	return zipBytes(at, files...)
}

// usageEvents is one usage file. Invented: a CSV of checkouts and checkins.
// User names go as user@domain, as service-provider uploads send them when
// anonymisation is off.
func (s *site) usageEvents(from, to time.Time) []byte {
	fs := s.active()
	n := 150 + s.rng.IntN(200)
	times := make([]int64, n)
	for i := range times {
		times[i] = from.UnixMilli() + s.rng.Int64N(to.Sub(from).Milliseconds())
	}
	slices.Sort(times)
	var b bytes.Buffer
	b.WriteString("EventTimeMs,Event,Feature,User,Device\r\n")
	for _, t := range times {
		f := fs[s.rng.IntN(len(fs))]
		ev := "CHECKOUT"
		if s.rng.IntN(2) == 0 {
			ev = "CHECKIN"
		}
		user, device := s.users[s.rng.IntN(len(s.users))], f.devices[s.rng.IntN(len(f.devices))]
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s\r\n", t, ev, f.id, user, device)
		s.tallyUsage(f.id, ev, user, device)
	}
	return b.Bytes()
}

func (s *site) callHomeBody(at time.Time, uptime time.Duration) []byte {
	ch := callHome{
		Product: "LicenseServer", Version: s.version, LSGUID: s.lsguid, FQDN: s.fqdn,
		Ccid: s.ccid, UTCDate: utc(at), UptimeHours: int(uptime.Hours()),
	}
	for _, f := range s.active() {
		ch.Licenses = append(ch.Licenses, callHomeUsed{
			LicenseID: f.id, Installed: f.installed, InUse: f.today.CountUsedMax,
		})
	}
	return mustJSON(ch)
}

// hashField hashes a user field as CVAD telemetry does (public): SHA-256,
// first half, base64.
func hashField(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.StdEncoding.EncodeToString(sum[:16])
}

func (s *site) ceipBody(at time.Time) []byte {
	ev := ceipEvent{Header: ceipHeader{
		Ver: "1.0", ID: s.uuid(), Type: "SendBrokerTelemetryData", Timestamp: utc(at),
		Prod: "OnPrem.Broker", ProdVer: "7.41.2000.12", // Invented: a CVAD 2402-like broker version.
	}}
	ev.Tenant.ID = "CitrixOnPremises"
	ev.Device = ceipDevice{ID: uuidOf(sha256Hex([]byte(s.lsguid + "broker"))), Name: hashField("CTXDDC01")}
	for range 20 + s.rng.IntN(20) {
		i := s.rng.IntN(len(s.users))
		u := s.users[i]
		sam, _, _ := strings.Cut(u, "@")
		ev.Users = append(ev.Users, ceipUser{
			FullName: hashField(sam), SamName: hashField(`CORP\` + sam), UPN: hashField(u),
			UserLicenseID: hashField("lic:" + u),
			UserSID:       hashField(fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", 1100+i)),
		})
	}
	sessions := 0
	for _, f := range s.active() {
		sessions += f.today.CountUsedMax
	}
	ev.Site = ceipSite{
		PublishedApps: 110 + s.rng.IntN(20), PublishedDesktops: 12 + s.rng.IntN(4),
		VDAsByOS:            map[string]int{"Windows 10 Enterprise multi-session": 40 + s.rng.IntN(6), "Windows Server 2022": 25 + s.rng.IntN(4)},
		HostingLocation:     "OnPremises",
		ProvisioningMethods: map[string]int{"MCS": 50, "PVS": 12, "Manual": 3},
		SessionTypes:        map[string]int{"Application": sessions * 2 / 3, "Desktop": sessions / 3},
	}
	return mustJSON(ev)
}

// usageTally counts one feature's events in the current usage bundle.
type usageTally struct {
	users, devices map[string]bool
	checkOuts, all int
}

func (s *site) tallyUsage(id, ev, user, device string) {
	t := s.usage[id]
	if t == nil {
		t = &usageTally{users: map[string]bool{}, devices: map[string]bool{}}
		s.usage[id] = t
	}
	t.users[user], t.devices[device] = true, true
	t.all++
	if ev == "CHECKOUT" {
		t.checkOuts++
	}
}

// usageCounts are the tallies of the last usage bundle, by feature id.
func (s *site) usageCounts() []UsageCount {
	var out []UsageCount
	for id, t := range s.usage {
		out = append(out, UsageCount{ID: id, Users: len(t.users), Devices: len(t.devices), CheckOuts: t.checkOuts, Total: t.all})
	}
	slices.SortFunc(out, func(a, b UsageCount) int { return strings.Compare(a.ID, b.ID) })
	return out
}
