package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// serviceStart is how long before the first simulated day the License
// Server's service started; Call Home reports uptime from it.
const serviceStart = 6 * time.Hour

// day sends one simulated day's traffic. The steps are a minute apart from
// a seeded time after 02:00 UTC; the times appear only inside bodies.
func (r *run) day(ctx context.Context, day int) error {
	date := r.start.AddDate(0, 0, day-1)
	rep := r.site.advance(day, date)
	rep.UploadType = "Auto"
	if day == OfflineDay {
		rep.UploadType = "Manual"
	}
	r.report.Days = append(r.report.Days, rep)
	steps := []func(context.Context, time.Time) error{r.token, r.renew}
	if day == OfflineDay {
		steps = append(steps, r.listls, r.offline)
	}
	steps = append(steps, r.compliance, r.usage, r.callHome, r.ceip)
	at := date.Add(2*time.Hour + time.Duration(r.site.rng.IntN(1800))*time.Second)
	for i, step := range steps {
		if err := step(ctx, at.Add(time.Duration(i)*time.Minute)); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) token(ctx context.Context, _ time.Time) error {
	body, err := r.do(ctx, call{
		ep: EndpointToken, url: trustBase + "/root/tokens/clients", ctype: "application/json",
		body: mustJSON(tokenRequest{ClientID: r.id, ClientSecret: r.secret}), want: http.StatusOK,
	})
	if err != nil {
		return err
	}
	var resp tokenResponse
	if err := json.Unmarshal(body, &resp); err != nil || resp.Token == "" {
		return fmt.Errorf("token: no token in response")
	}
	r.bearer = resp.Token
	return nil
}

func (r *run) renew(ctx context.Context, at time.Time) error {
	body, err := r.do(ctx, call{
		ep: EndpointRenew, url: lasBase + "/" + r.site.ccid + "/licenseserver/activation/renew",
		ctype: "application/json", body: r.site.renewBody(at), auth: true, want: http.StatusOK,
	})
	if err != nil {
		return err
	}
	var resp renewResponse
	if err := json.Unmarshal(body, &resp); err != nil || resp.ActivationID == "" {
		return fmt.Errorf("renew: no activation id in response")
	}
	r.site.activationID = resp.ActivationID
	return nil
}

// listls checks that the LAS knows this License Server before the offline
// activation, as an administrator would. Invented: the request body.
func (r *run) listls(ctx context.Context, _ time.Time) error {
	body, err := r.do(ctx, call{
		ep: EndpointListLS, url: lasBase + "/support/" + r.site.ccid + "/" + lsProduct + "/listls",
		ctype: "application/json", body: []byte(`{"ver":"1.0"}`), auth: true, want: http.StatusOK,
	})
	if err != nil {
		return err
	}
	var resp listlsResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("listls: %w", err)
	}
	if !slices.ContainsFunc(resp.LicenseServers, func(l lsRecord) bool { return l.LSGUID == r.site.lsguid }) {
		return fmt.Errorf("listls: license server %s not listed", r.site.lsguid)
	}
	return nil
}

func (r *run) offline(ctx context.Context, at time.Time) error {
	form, ctype := r.site.offlineBody(at)
	body, err := r.do(ctx, call{
		ep: EndpointOffline, url: lasBase + "/support/" + r.site.ccid + "/" + lsProduct + "/offlineactivation",
		ctype: ctype, body: form, auth: true, want: http.StatusOK,
	})
	if err != nil {
		return err
	}
	var resp offlineResponse
	if err := json.Unmarshal(body, &resp); err != nil || resp.NewActivationID == "" {
		return fmt.Errorf("offline: no newactivationid in response")
	}
	if _, err := untarGz(resp.Blob); err != nil {
		return fmt.Errorf("offline: activation blob: %w", err)
	}
	r.site.activationID = resp.NewActivationID
	return nil
}

func (r *run) compliance(ctx context.Context, at time.Time) error {
	day := r.report.Days[len(r.report.Days)-1].Day
	_, err := r.do(ctx, call{
		ep: EndpointCompliance, url: cisBase + "/api/upload/" + productCompliance,
		ctype: "application/json; charset=utf-8", encoding: "gzip",
		body: r.site.complianceBody(at, day), auth: true, want: http.StatusAccepted,
	})
	return err
}

func (r *run) usage(ctx context.Context, at time.Time) error {
	d := &r.report.Days[len(r.report.Days)-1]
	body := r.site.usageBody(at, d.UploadType)
	d.Usage = r.site.usageCounts()
	_, err := r.do(ctx, call{
		ep: EndpointUsage, url: cisBase + "/api/upload/" + productUsage, ctype: "application/zip",
		body: body, auth: true, want: http.StatusAccepted,
	})
	return err
}

func (r *run) callHome(ctx context.Context, at time.Time) error {
	uptime := at.Sub(r.start) + serviceStart
	_, err := r.do(ctx, call{
		ep: EndpointCallHome, url: cisBase + "/api/callhome/LicenseServer", ctype: "application/json",
		body: r.site.callHomeBody(at, uptime), auth: true, want: http.StatusOK,
	})
	return err
}

func (r *run) ceip(ctx context.Context, at time.Time) error {
	_, err := r.do(ctx, call{
		ep: EndpointCEIP, url: cisBase + "/api/ceip/SendBrokerTelemetryData", ctype: "application/json",
		body: r.site.ceipBody(at), auth: true, want: http.StatusNoContent,
	})
	return err
}
