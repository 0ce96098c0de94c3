package testbed

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// site is the simulated customer: one License Server and the usage it
// counts. Invented: every name, id and figure in it. All of it comes from one seeded generator, consumed in a fixed
// order, so a run is reproducible and its first N days do not depend on how
// many days follow.
type site struct {
	rng *rand.Rand

	ccid, orgID                           string
	lsguid, fingerprint, hardwareID, fqdn string
	installUTC, deployUTC                 time.Time
	version                               string
	activationID                          string
	features                              []*feature
	users                                 []string
	usage                                 map[string]*usageTally // of the last usage bundle
}

// feature is one licensed feature and its running usage level.
type feature struct {
	id        string
	installed int
	typical   float64 // share of installed in use on a busy weekday
	level     float64 // random walk around 1
	firstDay  int     // day the feature first appears
	ud        bool    // user/device model: no CCUDevices
	devices   []string
	sn        string
	saDate    string

	today   Feature  // figures of the current day
	inUse   []string // devices counted today
	present bool
}

// The features the site holds. Invented, except CAG_AAC_CCU and
// XDS_ADV_CCS, which the public data-element pages give as examples.
var siteFeatures = []struct {
	id        string
	installed int
	typical   float64
	firstDay  int
}{
	{"CAG_AAC_CCU", 1000, 0.30, 1},
	{DormantID, 800, 0.10, 1}, // mostly dormant
	{"XDT_PLT_CCS", 500, 0.50, 1},
	{NewFeatureID, 300, 0.45, NewFeatureDay},
}

func newSite(seed int64, ccid string, start time.Time) *site {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7e11_7a1e))
	s := &site{rng: rng, ccid: ccid, version: InitialVersion}
	s.lsguid = s.uuid()
	s.hardwareID = fmt.Sprintf("%012X", rng.Uint64()&0xffff_ffff_ffff)
	s.fingerprint = sha256Hex([]byte(s.lsguid + "|" + s.hardwareID))
	s.fqdn = fmt.Sprintf("ctxlic%02d.corp.example.com", 1+rng.IntN(20))
	s.orgID = fmt.Sprint(40_000_000 + rng.IntN(9_000_000))
	s.installUTC = start.AddDate(0, 0, -200-rng.IntN(400)).Add(time.Duration(rng.IntN(86400)) * time.Second)
	s.deployUTC = start.AddDate(0, 0, -3).Add(time.Duration(rng.IntN(86400)) * time.Second)
	for i := range 400 {
		s.users = append(s.users, fmt.Sprintf("%s.%s%d@corp.example.com",
			firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))], i%7))
	}
	for _, sf := range siteFeatures {
		f := &feature{
			id: sf.id, installed: sf.installed, typical: sf.typical, level: 1, firstDay: sf.firstDay,
			ud:     sf.id[len(sf.id)-3:] == "_UD",
			sn:     fmt.Sprintf("CTX%08d-%05d", rng.IntN(1e8), rng.IntN(1e5)), // Invented format.
			saDate: start.AddDate(1, rng.IntN(12), 0).Format("2006.0102"),
		}
		for range sf.installed * 13 / 10 {
			f.devices = append(f.devices, "DESKTOP-"+randomAlnum(rng, 7))
		}
		slices.Sort(f.devices)
		s.features = append(s.features, f)
	}
	return s
}

var (
	firstNames = []string{"anna", "ben", "chloe", "david", "emma", "farid", "grace", "hugo", "ines", "jonas", "kim", "lena", "marc", "nora", "oscar", "paula"}
	lastNames  = []string{"meyer", "smith", "rossi", "dubois", "novak", "kowalski", "jensen", "garcia", "tanaka", "okafor", "silva", "weber"}
)

func randomAlnum(rng *rand.Rand, n int) string {
	const chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}

func (s *site) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return uuidOf(hex.EncodeToString(b[:]))
}

// active lists the features present today, in a fixed order.
func (s *site) active() []*feature {
	var fs []*feature
	for _, f := range s.features {
		if f.present {
			fs = append(fs, f)
		}
	}
	return fs
}

// advance moves the site to the given day and computes its figures.
func (s *site) advance(day int, date time.Time) DayReport {
	rep := DayReport{Day: day, Date: date, UsageDate: date.AddDate(0, 0, -1), Requests: make(map[Endpoint]int)}
	if day == UpgradeDay {
		rep.NewFields = []string{UpgradeField}
	}
	if day >= UpgradeDay {
		s.version = UpgradedVersion
	}
	rep.Version = s.version
	// Saturday and Sunday are quiet.
	busy := 1.0
	if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
		busy = 0.35
	}
	for _, f := range s.features {
		if day < f.firstDay {
			continue
		}
		if !f.present && day > 1 {
			rep.NewFeatures = append(rep.NewFeatures, f.id)
		}
		f.present = true
		f.level = math.Min(1.4, math.Max(0.5, f.level+s.rng.NormFloat64()*0.08))
		ramp := 1.0
		if f.firstDay > 1 { // a new feature's rollout grows over five days
			ramp = math.Min(1, float64(day-f.firstDay+1)/5)
		}
		if f.id == InstalledChangeID && day == InstalledChangeDay {
			f.installed = InstalledChangeTo
		}
		used := int(math.Round(float64(f.installed) * f.typical * f.level * busy * ramp))
		used = min(f.installed, max(1, used+s.rng.IntN(5)-2))
		if f.id == OveruseID && day >= OveruseDay && day < OveruseDay+OveruseDays {
			used = f.installed + 12 + 8*(day-OveruseDay) // over installed, in overdraft
		}
		f.today = Feature{
			ID: f.id, Installed: f.installed, CountUsedMax: used,
			UsersReleased: s.rng.IntN(used/8 + 1), DevicesReleased: s.rng.IntN(used/10 + 1),
		}
		f.inUse = nil
		if !f.ud {
			perm := s.rng.Perm(len(f.devices))[:used]
			for _, i := range perm {
				f.inUse = append(f.inUse, f.devices[i])
			}
			slices.Sort(f.inUse)
		}
		rep.Features = append(rep.Features, f.today)
	}
	return rep
}
