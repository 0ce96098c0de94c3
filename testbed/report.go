package testbed

import (
	"fmt"
	"net/http"
	"time"
)

// Report is what a Client.Run sent and the figures it reported.
type Report struct {
	// Sent holds every request in the order sent, with a copy of its body.
	Sent []Sent
	// Days holds one entry per simulated day completed (or begun, when Run
	// failed), in order.
	Days []DayReport
}

// Sent is one request the client sent and the answer it got.
type Sent struct {
	Day      int // 1-based simulated day
	Endpoint Endpoint
	Method   string
	URL      string
	// Header is what the client set; the transport adds Host,
	// Content-Length and, over HTTP/1.1, nothing else.
	Header   http.Header
	Body     []byte // exactly the bytes handed to the transport
	Status   int
	Response []byte
}

// DayReport is one simulated day.
type DayReport struct {
	Day  int       // 1-based
	Date time.Time // midnight UTC of the simulated day
	// UsageDate is the day the uploads of that day describe: the day
	// before Date (the compliance upload's SADate samples and the usage
	// bundle's slices cover it). Invented: that the figures computed on
	// a day are yesterday's.
	UsageDate time.Time
	Version   string // License Server version that day
	Requests  map[Endpoint]int
	// Features are the figures of that day's compliance upload, in upload
	// order.
	Features []Feature
	// NewFeatures lists feature ids reported that day for the first time
	// (empty on day 1). NewFields lists the compliance keys first sent that
	// day. Together they mark the schedule's drift.
	NewFeatures []string
	NewFields   []string
	// UploadType is the usage bundle's UploadType: "Auto" or "Manual".
	UploadType string
	// Usage is what that day's usage bundle lists, over all its slice
	// files, per feature (by id): the ground truth of what a decoder of
	// the bundle should count.
	Usage []UsageCount
}

// UsageCount is one feature in one usage bundle: the distinct users and
// devices of its events, and its check-outs.
type UsageCount struct {
	ID               string
	Users, Devices   int
	CheckOuts, Total int
}

// Feature is one feature's figures on one day.
type Feature struct {
	ID              string
	Installed       int
	CountUsedMax    int
	UsersReleased   int
	DevicesReleased int
}

// Count returns how many requests were sent to e over the whole run.
func (r Report) Count(e Endpoint) int {
	n := 0
	for _, d := range r.Days {
		n += d.Requests[e]
	}
	return n
}

// Feature returns the figures of feature id on day (1-based), and false when
// it was not reported that day.
func (r Report) Feature(day int, id string) (Feature, bool) {
	if day < 1 || day > len(r.Days) {
		return Feature{}, false
	}
	for _, f := range r.Days[day-1].Features {
		if f.ID == id {
			return f, true
		}
	}
	return Feature{}, false
}

// StatusError is an answer the simulated License Server did not expect.
type StatusError struct {
	Endpoint Endpoint
	Status   int
	Body     string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: unexpected status %d: %.200s", e.Endpoint, e.Status, e.Body)
}
