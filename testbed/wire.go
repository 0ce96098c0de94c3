package testbed

import "encoding/json"

// The request and response bodies, shared by the client that encodes them and
// the LAS that checks them. Citrix publishes data elements, not a wire
// format. Invented: every JSON key below unless its comment says public.

// tokenRequest is public: POST {clientId, clientSecret}.
type tokenRequest struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

type tokenResponse struct {
	Token     string `json:"token"`     // public
	ExpiresIn int    `json:"expiresIn"` // Invented: lifetime in seconds.
}

// Invented: the whole daily renewal exchange. "ver" copies the public
// customerentitlements call; lsguid and lsfingerprint the public listls reply.
type renewRequest struct {
	Ver           string         `json:"ver"`
	Platform      string         `json:"platform"`
	LSGUID        string         `json:"lsguid"`
	LSFingerprint string         `json:"lsfingerprint"`
	LSVersion     string         `json:"lsversion"`
	Hostname      string         `json:"hostname"`
	ActivationID  string         `json:"activationid,omitempty"`
	UTCDate       string         `json:"utcdate"`
	Licenses      []licenseCount `json:"licenses"`
}

type licenseCount struct {
	LicenseID string `json:"licenseid"`
	Quantity  int    `json:"quantity"`
	SADate    string `json:"sadate"`
}

type renewResponse struct {
	Status        string         `json:"status"`
	LSGUID        string         `json:"lsguid"`
	ActivationID  string         `json:"activationid"`
	RenewedUTC    string         `json:"renewedutc"`
	ValidUntilUTC string         `json:"validuntilutc"`
	Licenses      []licenseCount `json:"licenses"`
}

// listlsResponse: lsguid and lsfingerprint are public. Invented: the other keys.
type listlsResponse struct {
	Product        string     `json:"product"`
	LicenseServers []lsRecord `json:"licenseservers"`
}

type lsRecord struct {
	LSGUID         string `json:"lsguid"`
	LSFingerprint  string `json:"lsfingerprint"`
	Hostname       string `json:"hostname"`
	LSVersion      string `json:"lsversion"`
	LastRenewalUTC string `json:"lastrenewalutc"`
	activationID   string // the current activation, kept by the LAS
}

// offlineRequest is ns_offline_activation_request.json inside request.tgz:
// the file name and lsguid are public. Invented: the other keys.
type offlineRequest struct {
	LSGUID        string         `json:"lsguid"`
	LSFingerprint string         `json:"lsfingerprint"`
	ActivationID  string         `json:"activationid"`
	Product       string         `json:"product"`
	RequestUTC    string         `json:"requestutc"`
	Licenses      []licenseCount `json:"licenses"`
}

// Invented: the JSON part that accompanies request.tgz.
type offlineForm struct {
	Ver      string `json:"ver"`
	Platform string `json:"platform"`
	Reason   string `json:"reason"`
}

// offlineResponse: newactivationid is public, and so is a .tgz blob.
// Invented: the blob's key names and its base64 carriage.
type offlineResponse struct {
	NewActivationID string `json:"newactivationid"`
	LSGUID          string `json:"lsguid"`
	BlobName        string `json:"activationfile"`
	Blob            []byte `json:"activationblob"`
}

// complianceUpload: the data element names are public (CTX477614, "License
// Server data elements"). Invented: the envelope, the key spellings and the
// scope of the UI hash (SHA-256 of the exact bytes of Data).
type complianceUpload struct {
	Product              string          `json:"Product"`
	Version              string          `json:"Version"`
	UTCDate              string          `json:"UTCDate"`
	Date                 string          `json:"Date"`
	ProductUTCDeployDate string          `json:"ProductUTCDeployDate"`
	UI                   string          `json:"UI"`
	Data                 json.RawMessage `json:"Data"`
}

type complianceData struct {
	LicenseServer complianceServer    `json:"LicenseServer"`
	Features      []complianceFeature `json:"Features"`
}

type complianceServer struct {
	GUID              string `json:"GUID"`
	HardwareID        string `json:"HardwareId"`
	FQDN              string `json:"FQDN"`
	InstallUTC        string `json:"InstallUTC"`
	Version           string `json:"Version"`
	SGPClockErrorCode int    `json:"SGPClockErrorCode"`
	SGPMaxDays        int    `json:"SGPMaxDays"`
	// Invented: the field added by the UpgradeDay upgrade (UpgradeField).
	ActivationMode string `json:"ActivationMode,omitempty"`
}

type complianceFeature struct {
	ID              string     `json:"Id"`
	UserReportUTC   string     `json:"UserReportUTC"`
	DeviceReportUTC string     `json:"DeviceReportUTC"`
	UsersReleased   int        `json:"UsersReleased"`
	DevicesReleased int        `json:"DevicesReleased"`
	SADate          []saSample `json:"SADate"`
	CountUsedMax    int        `json:"CountUsedMax"`
	CCUDevices      []string   `json:"CCUDevices"`
}

type saSample struct {
	SADate string `json:"SADate"`
	Start  string `json:"Start"`
	Stop   string `json:"Stop"`
}

// usageManifest: the element names are public (manifest version 1.0).
// Invented: the key spellings, the file name manifest.json and what the two
// hashes cover.
type usageManifest struct {
	Version      string        `json:"Version"`
	Product      string        `json:"Product"`
	GUID         string        `json:"GUID"`
	UploadType   string        `json:"UploadType"`
	Ccid         string        `json:"Ccid"`
	OrgID        string        `json:"OrgID"`
	TotalFiles   int           `json:"TotalFiles"`
	Serials      []usageSerial `json:"Serials"`
	Files        []usageFile   `json:"Files"`
	BundleHash   string        `json:"BundleHash"`   // SHA-256 of the file hashes joined
	ManifestHash string        `json:"ManifestHash"` // SHA-256 of this JSON with ManifestHash ""
}

type usageSerial struct {
	LicenseID string `json:"LicenseId"`
	SADate    string `json:"SADate"`
	SN        string `json:"SN"`
}

type usageFile struct {
	Name         string `json:"Name"`
	Hash         string `json:"Hash"`
	EventStart   int64  `json:"EventStart"` // epoch ms
	EventEnd     int64  `json:"EventEnd"`   // epoch ms
	OfferingType string `json:"OfferingType"`
}

// Invented: the whole Call Home document.
type callHome struct {
	Product     string         `json:"Product"`
	Version     string         `json:"Version"`
	LSGUID      string         `json:"LSGUID"`
	FQDN        string         `json:"FQDN"`
	Ccid        string         `json:"Ccid"`
	UTCDate     string         `json:"UTCDate"`
	UptimeHours int            `json:"UptimeHours"`
	Licenses    []callHomeUsed `json:"Licenses"`
}

type callHomeUsed struct {
	LicenseID string `json:"LicenseId"`
	Installed int    `json:"Installed"`
	InUse     int    `json:"InUse"`
	Overdraft int    `json:"Overdraft"`
}

// ceipEvent follows the public CVAD broker telemetry elements (header ver,
// id, type, timestamp, prod, prodVer; hashed user fields; tenant.id; site
// counts). Invented: the nesting and the site keys.
type ceipEvent struct {
	Header ceipHeader `json:"header"`
	Tenant struct {
		ID string `json:"id"`
	} `json:"tenant"`
	Device ceipDevice `json:"device"`
	Users  []ceipUser `json:"users"`
	Site   ceipSite   `json:"site"`
}

type ceipHeader struct {
	Ver       string `json:"ver"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Prod      string `json:"prod"`
	ProdVer   string `json:"prodVer"`
}

type ceipDevice struct {
	ID   string `json:"id"`
	Name string `json:"name"` // hashed
}

// ceipUser fields are hashed: SHA-256, first half, base64 (public).
type ceipUser struct {
	FullName      string `json:"fullName"`
	SamName       string `json:"samName"`
	UPN           string `json:"upn"`
	UserLicenseID string `json:"userLicenseId"`
	UserSID       string `json:"userSid"`
}

type ceipSite struct {
	PublishedApps       int            `json:"publishedApps"`
	PublishedDesktops   int            `json:"publishedDesktops"`
	VDAsByOS            map[string]int `json:"vdasByOs"`
	HostingLocation     string         `json:"hostingLocation"`
	ProvisioningMethods map[string]int `json:"provisioningMethods"`
	SessionTypes        map[string]int `json:"sessionTypes"`
}

// Invented: the JSON bodies the LAS answers uploads and errors with.
type uploadReceipt struct {
	UploadID string `json:"uploadId"`
	Status   string `json:"status"`
	Product  string `json:"product"`
	Files    int    `json:"files,omitempty"`
}

type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}
