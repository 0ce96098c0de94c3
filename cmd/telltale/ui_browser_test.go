package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// waitJS polls a JavaScript condition until it is true.
func waitJS(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(15*time.Second))(ctx, t)
		return err
	})
}

// TestBrowser_ReviewFlow walks the review UI in headless Chromium the way
// a reviewer would: sign in with the one-time link, watch a capture
// arrive live, open it, diff it with the previous one, filter, and export
// a bundle that `telltale verify` accepts.
func TestBrowser_ReviewFlow(t *testing.T) {
	b := newBrowser(t)
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	proxyAddr := startServe(t, "-c", cfg)
	client := proxyClient(t, proxyAddr, data)

	// Sign in: the link works once.
	link := uiLink(t, data)
	b.run("sign in", chromedp.Navigate(link), visible("header.top"))
	if loc := get(b, "location", chromedp.Location()); strings.Contains(loc, "login") {
		t.Errorf("after sign-in the address still holds the nonce: %s", loc)
	}
	// The position is the first page; the list is one click away.
	b.run("captures", chromedp.Navigate(strings.Split(link, "/login")[0]+"/#/captures"), visible(".filters"))

	// A request through the proxy shows up without a reload.
	post(t, client, "https://las.cloud.com/licensing/renew", "1", `{"site":"licsrv01","count":10,"ts":"2026-04-01T00:00:00Z"}`)
	b.run("first capture appears live", waitJS(`document.querySelectorAll('.row[data-id]').length === 1`))
	post(t, client, "https://las.cloud.com/licensing/renew", "2", `{"site":"licsrv01","count":12,"ts":"2026-04-02T00:00:00Z","edition":"premium"}`)
	b.run("second capture appears live", waitJS(`document.querySelectorAll('.row[data-id]').length === 2`),
		waitJS(`document.querySelector('.row[data-id] .st') && document.querySelector('.row[data-id] .st').textContent === '200'`))
	ids := eval[[]string](b, `[...document.querySelectorAll('.row[data-id]')].map(r => r.dataset.id)`)
	newest, oldest := ids[0], ids[1]

	// Keyboard: j moves down, k back up, Enter opens the selected capture.
	b.run("keyboard", chromedp.KeyEvent("j"), waitJS(`document.querySelector('.row.sel').dataset.id === '`+oldest+`'`),
		chromedp.KeyEvent("k"), waitJS(`document.querySelector('.row.sel').dataset.id === '`+newest+`'`),
		chromedp.KeyEvent("\r"), visible("#msg-request"))
	if url := b.text(".cap-head .url"); url != "https://las.cloud.com/licensing/renew" {
		t.Errorf("detail: URL %q", url)
	}
	b.run("decoded body", visible(`#msg-request tr[data-path="$.edition"]`))
	b.run("evidence of the capture", chromedp.Click(chromedp.CSS(`.page-tabs [data-tab=evidence]`)), waitJS(`document.body.innerText.includes('leaf ')`))

	// The diff with the previous capture highlights what changed.
	b.run("diff", chromedp.Click(chromedp.CSS("#diff-prev")), visible("table.changes"))
	changed := `document.querySelector('tr.op-changed[data-path="$.count"]')`
	added := `document.querySelector('tr.op-added[data-path="$.edition"]')`
	b.run("changed field highlighted", waitJS(changed+` !== null && `+added+` !== null`))
	bg := eval[string](b, `getComputedStyle(`+changed+`.querySelector('td.after')).backgroundColor`)
	plain := eval[string](b, `getComputedStyle(document.querySelector('table.changes')).backgroundColor`)
	if bg == plain || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("the changed field is not highlighted: background %s", bg)
	}
	// Each row says the before and after of its change.
	for path, want := range map[string]string{`tr.op-changed[data-path="$.count"]`: "10 → 12",
		`tr.op-changed[data-path="$.ts"]`: "2026-04-01T00:00:00Z → 2026-04-02T00:00:00Z", `tr.op-added[data-path="$.edition"]`: " → premium"} {
		got := eval[string](b, `(r => r ? r.querySelector('td.before').textContent.replaceAll('"', '') + ' → ' +
			r.querySelector('td.after').textContent.replaceAll('"', '') : 'no row')(document.querySelector('`+path+`'))`)
		if got != want {
			t.Errorf("diff row %s: got %q, want %q", path, got, want)
		}
	}
	// Addresses name captures by their numbers, as the list does, and so
	// does the page.
	if loc := get(b, "location", chromedp.Location()); !strings.HasSuffix(loc, "#/diff/no.1/no.2") {
		t.Errorf("diff deep link: got %s, want captures no. 1 and 2 (ids %s and %s)", loc, oldest, newest)
	}
	if head := b.text(".diff-head"); !strings.Contains(head, "capture no. 1") || !strings.Contains(head, "capture no. 2") {
		t.Errorf("diff page: the captures are named %q, not no. 1 and no. 2", head)
	}

	// Filter: free text in the bodies, then a status that matches nothing.
	b.run("filter", chromedp.Navigate(strings.Split(link, "/login")[0]+"/#/captures"), visible(".row[data-id]"),
		chromedp.SendKeys(chromedp.CSS("input.q"), "premium"),
		waitJS(`document.querySelectorAll('.row[data-id]').length === 1 && document.querySelector('.row[data-id]').dataset.id === '`+newest+`'`))
	b.run("filter by status", chromedp.SetValue(chromedp.CSS("select[data-f=status]"), "5xx"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('select[data-f=status]').dispatchEvent(new Event('change'))`),
		waitJS(`document.querySelectorAll('.row[data-id]').length === 0`))
	if loc := get(b, "location", chromedp.Location()); !strings.Contains(loc, "status=5xx") || !strings.Contains(loc, "q=premium") {
		t.Errorf("filters are not in the address: %s", loc)
	}

	// Export the bundle of one endpoint from the Evidence page and verify
	// it offline: it proves it holds every capture of that endpoint, and
	// leaves out the capture of another.
	post(t, client, "https://las.cloud.com/licensing/other", "3", `{"site":"licsrv01"}`)
	const renew = "POST las.cloud.com/licensing/renew"
	dl := t.TempDir()
	progress := chromedp.Events(b.ctx, cdpbrowser.DownloadProgress)
	b.run("export", chromedp.Navigate(strings.Split(link, "/login")[0]+"/#/evidence"), visible("#export-form"),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl, EventsEnabled: ptr(true)})
			return err
		}),
		waitJS(`[...document.querySelectorAll('#export-form select[name=endpoint] option')].some(o => o.value === '`+renew+`')`),
		chromedp.Click(chromedp.CSS(`#export-form input[name=scope][value=endpoint]`)),
		chromedp.SetValue(chromedp.CSS(`#export-form select[name=endpoint]`), renew),
		chromedp.Click(chromedp.CSS("#export-form button[type=submit]")), visible("#export-download"),
		chromedp.Click(chromedp.CSS("#export-download")))
	bundle := ""
	deadline := time.AfterFunc(20*time.Second, func() { b.screenshot("download") })
	for ev, err := range progress {
		if err != nil {
			t.Fatal(err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			bundle = filepath.Join(dl, ev.GUID)
			break
		}
	}
	deadline.Stop()
	if fi, err := os.Stat(bundle); err != nil || fi.Size() == 0 {
		t.Fatalf("downloaded bundle: %v", err)
	}
	out, errOut, code := cli(t, "verify", bundle, "--key", filepath.Join(data, "ca", "log.pub"))
	if code != 0 || !strings.HasPrefix(out, "ok:") {
		t.Fatalf("telltale verify of the downloaded bundle: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "captures    2 ") || !strings.Contains(out, "every capture of endpoint "+renew) {
		t.Errorf("verify of the bundle of %s: want its 2 captures, proven complete\n%s", renew, out)
	}
}

func ptr[T any](v T) *T { return &v }
