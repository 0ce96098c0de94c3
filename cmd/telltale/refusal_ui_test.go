package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_RefusalBanner: after a client refused Telltale's
// certificate, the UI shows a banner on every page naming the client,
// the host and the alert, with a link to the capture.
func TestBrowser_RefusalBanner(t *testing.T) {
	b := newBrowser(t)
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr := startServe(t, "-c", cfg)
	b.run("sign in", chromedp.Navigate(uiLink(t, data)), visible("header.top"))
	if eval[bool](b, `!document.getElementById('refusals').hidden`) {
		t.Error("the refusal banner shows before any refusal")
	}
	if _, err := pinningClient(v, addr).Get("https://las.cloud.com/activate"); err == nil {
		t.Fatal("a client that pins the vendor's CA got through")
	}
	waitComplete(t, 1, "--data", data)
	b.run("banner", chromedp.Reload(), visible("#refusals li[data-host='las.cloud.com:443']"),
		waitJS(`document.getElementById('refusals').innerText.includes('127.0.0.1 \u2192 las.cloud.com:443: 1 refused')`),
		waitJS(`document.getElementById('refusals').innerText.includes('bad certificate')`),
		waitJS(`!!document.querySelector('#refusals a[href^="#/capture/"]')`))
}
