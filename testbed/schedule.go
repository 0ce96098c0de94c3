package testbed

// Endpoint names one kind of request in the License Server's conversation.
type Endpoint string

// The endpoints the simulated cloud serves. Invented: every path marked so
// below (README.md lists them).
const (
	EndpointToken        Endpoint = "token"        // POST trust.*/root/tokens/clients (public)
	EndpointRenew        Endpoint = "renew"        // POST las.*/{ccid}/licenseserver/activation/renew (Invented)
	EndpointListLS       Endpoint = "listls"       // POST las.*/support/{ccid}/{product}/listls (public)
	EndpointOffline      Endpoint = "offline"      // POST las.*/support/{ccid}/{product}/offlineactivation (Invented: path)
	EndpointEntitlements Endpoint = "entitlements" // POST las.*/{ccid}/netscalerfixedbw/customerentitlements (public; the client never calls it)
	EndpointCompliance   Endpoint = "compliance"   // POST cis.citrix.com/api/upload/LicenseServerCompliance (Invented: path)
	EndpointUsage        Endpoint = "usage"        // POST cis.citrix.com/api/upload/LicenseServer.OnPremUsage (Invented: path)
	EndpointCallHome     Endpoint = "callhome"     // POST cis.citrix.com/api/callhome/LicenseServer (Invented)
	EndpointCEIP         Endpoint = "ceip"         // POST cis.citrix.com/api/ceip/SendBrokerTelemetryData (Invented: path)
	EndpointProbe        Endpoint = "probe"        // GET any host, any path: a reachability check (Invented)
)

// The variation schedule of a simulated run. Days count from 1.
const (
	// OfflineDay is the day the License Server lists its registrations
	// (listls) and performs its one offline activation. Its usage bundle is
	// uploaded with UploadType "Manual" instead of "Auto".
	OfflineDay = 7
	// NewFeatureDay is the first day a compliance upload reports
	// NewFeatureID.
	NewFeatureDay = 12
	// UpgradeDay is the first day the License Server runs UpgradedVersion: it
	// adds UpgradeField to the compliance upload and its User-Agent changes.
	UpgradeDay = 20
	// InstalledChangeDay is the day the activation renewal (and Call Home)
	// first reports InstalledChangeID with InstalledChangeTo licenses
	// installed instead of its first count.
	InstalledChangeDay = 16
	// OveruseDay is the first of OveruseDays days on which OveruseID's
	// peak in use goes over its installed count (by 12, 20, 28…).
	OveruseDay  = 22
	OveruseDays = 3
)

// Values of the variation schedule.
const (
	InitialVersion  = "11.17.2.0 build 53100"
	UpgradedVersion = "11.17.2.0 build 54100"
	// NewFeatureID is the feature id that first appears on NewFeatureDay.
	// Invented: a plausible Citrix feature id, not taken from a capture.
	NewFeatureID = "XDT_PLT_UD"
	// UpgradeField is the key added to the compliance upload's LicenseServer
	// object from UpgradeDay on. Invented.
	UpgradeField = "ActivationMode"
	// InstalledChangeID's installed count changes to InstalledChangeTo on
	// InstalledChangeDay (a purchase). Invented.
	InstalledChangeID = "CAG_AAC_CCU"
	InstalledChangeTo = 1200
	// OveruseID goes over its installed count from OveruseDay; DormantID
	// uses a small share of what is installed. Invented.
	OveruseID = "XDT_PLT_CCS"
	DormantID = "XDS_ADV_CCS"
)

// dailyEndpoints are sent once every simulated day, in this order (listls and
// offline go between renew and compliance on OfflineDay).
var dailyEndpoints = []Endpoint{
	EndpointToken, EndpointRenew, EndpointCompliance, EndpointUsage, EndpointCallHome, EndpointCEIP,
}

// ExpectedPerEndpoint returns how many requests Client.Run sends to each
// endpoint in a successful run of the given number of days. It does not
// depend on the seed.
func ExpectedPerEndpoint(days int) map[Endpoint]int {
	m := make(map[Endpoint]int)
	if days <= 0 {
		return m
	}
	for _, e := range dailyEndpoints {
		m[e] = days
	}
	if days >= OfflineDay {
		m[EndpointListLS] = 1
		m[EndpointOffline] = 1
	}
	return m
}

// Expected returns how many exchanges (requests, each with its response) a
// successful Client.Run of the given number of days produces.
func Expected(days int) int {
	n := 0
	for _, c := range ExpectedPerEndpoint(days) {
		n += c
	}
	return n
}
