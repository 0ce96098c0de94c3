// Package testbed is a faithful stand-in for both sides of a Citrix License
// Server's conversation with the Citrix cloud, for tests and demos that
// cannot reach the real License Activation Service.
//
// LAS is the simulated cloud: one TLS listener on 127.0.0.1 answering for
// every host of shared/las-reference.md (las.cloud.com, the api.* regions,
// trust.*, cis.citrix.com, the citrixworkspacesapi.net services, the Japan
// and US government hosts), routing by Host, with its own in-memory CA. It
// serves HTTP/1.1 and h2 and records every request it receives as an
// Exchange, body bytes exactly as they arrived, so a test can compare them
// with what a proxy recorded.
//
// Client is the simulated License Server. Its Run drives N simulated days in
// well under a second each: a token, the LAS renewal, a gzipped compliance
// upload, a zipped usage bundle, Call Home and CEIP every day, plus one
// listls and offline activation on OfflineDay. Its figures drift from day to
// day from a seed; a new feature appears on NewFeatureDay and an upgrade on
// UpgradeDay adds a field. The same Seed and Start give the same bodies.
//
// A typical direct run:
//
//	las, _ := testbed.NewLAS(testbed.LASOptions{})
//	las.Start()
//	defer las.Close()
//	c := &testbed.Client{RootCAs: las.RootCAs(), Resolve: las.Resolve(), Seed: 1}
//	report, err := c.Run(ctx, 30) // len(las.Received()) == testbed.Expected(30)
//
// Through a proxy, set Client.ProxyURL and Client.RootCAs to the proxy's CA,
// and give the proxy las.Resolve() as its upstream resolution.
//
// Citrix publishes data elements, not a wire format. Every path, key
// spelling and response body beyond the public facts is invented; such
// places carry an "Invented:" comment and README.md lists them all.
package testbed
