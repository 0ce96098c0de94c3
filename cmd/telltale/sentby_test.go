package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// sentByServe runs serve and sends two uploads through it from this test
// process, which is on the proxy's host: both are sent by it. The lookup
// may take 5s, not 100ms: these tests check who is named, on a CI host
// that runs many tests at once (proxy's tests check the bound).
func sentByServe(t *testing.T) (data, program string) {
	t.Helper()
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "clients:\n  allow: [127.0.0.0/8]\n  sent_by_wait: 5s\n")
	client := proxyClient(t, startServe(t, "-c", cfg), data)
	post(t, client, "https://las.cloud.com/licensing/renew", "1", `{"count":10}`)
	post(t, client, "https://cis.citrix.com/upload", "2", `{"count":11}`)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return data, filepath.Base(exe)
}

// list names the program that sent each capture, --sent-by filters by it,
// show and show --json say it in full, and the report sums it per endpoint.
func TestSentBy_ListShowReport(t *testing.T) {
	data, program := sentByServe(t)
	short := fmt.Sprintf("%s[%d]", program, os.Getpid())
	out, errOut, code := cli(t, "list", "--data", data)
	if code != 0 || !strings.Contains(out, "SENT BY") || strings.Count(out, short) != 2 {
		t.Fatalf("list: exit %d, want a SENT BY column naming %s twice:\n%s%s", code, short, out, errOut)
	}
	for q, want := range map[string]int{program: 2, fmt.Sprint(os.Getpid()): 2, "nosuch": 0} {
		if n := len(listJSON(t, "--data", data, "--sent-by", q)); n != want {
			t.Errorf("list --sent-by %s: got %d captures, want %d", q, n, want)
		}
	}
	out, errOut, code = cli(t, "show", "1", "--data", data)
	exe, _ := os.Executable()
	if code != 0 || !strings.Contains(out, fmt.Sprintf("Sent by: %s (pid %d, user ", program, os.Getpid())) ||
		!strings.Contains(out, "  image "+exe) {
		t.Errorf("show: exit %d, want a Sent by line with %s's pid and image:\n%s%s", code, program, out, errOut)
	}
	out, _, _ = cli(t, "show", "1", "--json", "--data", data)
	var shown struct {
		Process struct {
			PID   int    `json:"pid"`
			Image string `json:"image"`
		} `json:"process"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Process.PID != os.Getpid() || shown.Process.Image != exe {
		t.Errorf("show --json: process %+v, %v, want pid %d and image %s", shown.Process, err, os.Getpid(), exe)
	}
	html := filepath.Join(t.TempDir(), "report.html")
	if _, errOut, code := cli(t, "report", "-o", html, "--data", data); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	b, _ := os.ReadFile(html)
	if n := strings.Count(string(b), "sent by "+program+" ×1"); n != 2 {
		t.Errorf("report: %d endpoints say sent by %s ×1, want 2", n, program)
	}
}

// The review UI filters the list by the program that sent each capture
// and names it in the capture's overview.
func TestBrowser_SentByFilter(t *testing.T) {
	b := newBrowser(t)
	data, program := sentByServe(t)
	link := uiLink(t, data)
	base := strings.Split(link, "/login")[0]
	b.run("sign in", chromedp.Navigate(link), visible("header.top"))
	b.run("captures", chromedp.Navigate(base+"/#/captures"), visible(".filters"),
		waitJS(`document.querySelectorAll('.row[data-id]').length === 2`))
	b.run("sent by nobody", chromedp.SendKeys(chromedp.CSS("#f-sent-by"), "nosuch"),
		waitJS(`document.querySelectorAll('.row[data-id]').length === 0`))
	if loc := get(b, "location", chromedp.Location()); !strings.Contains(loc, "sent_by=nosuch") {
		t.Errorf("the sent-by filter is not in the address: %s", loc)
	}
	b.run("sent by this test", chromedp.Navigate(base+"/#/captures?sent_by="+program), visible(".filters"),
		waitJS(`document.querySelectorAll('.row[data-id]').length === 2`),
		waitJS(`document.querySelector('#f-sent-by').value === '`+program+`'`))
	b.run("list pane", chromedp.Click(chromedp.CSS(".row[data-id]")), waitJS(`document.querySelector('#list-pane').innerText.includes('Sent by')`))
	b.run("detail", chromedp.Navigate(base+"/#/capture/no.1"), visible(".page-tabs"),
		chromedp.Click(chromedp.CSS(`.page-tabs [data-tab=transport]`)), visible("#sent-by"))
	if got, want := b.text("#sent-by"), fmt.Sprintf("%s (pid %d, user ", program, os.Getpid()); !strings.HasPrefix(got, want) {
		t.Errorf("detail's Sent by: got %q, want it to start %q", got, want)
	}
}

// doctor tries a lookup of its own: it finds itself, or says captures
// will name no program; 0s turns the lookup off, and doctor says so.
func TestDoctor_SentBy(t *testing.T) {
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, "")
	lines, _ := doctorLines(t, "-c", cfg)
	wantLine(t, lines, "ok", "sent by", fmt.Sprintf(`program is found in .* \(this check's own connection: .* \(pid %d, `, os.Getpid()))
	cfg, _ = writeConfig(t, v, "clients:\n  allow: [127.0.0.1]\n  sent_by_wait: 0s\n")
	lines, _ = doctorLines(t, "-c", cfg)
	wantLine(t, lines, "ok", "sent by", `off \(clients.sent_by_wait: 0s\)`)
}
