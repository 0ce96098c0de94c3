package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/telltale/telltale/internal/versitygw"
	"github.com/telltale/telltale/server"
)

// archiveConfig is the archive section of a test config for srv.
func archiveConfig(srv *versitygw.Server, bucket, prefix string) string {
	return fmt.Sprintf(`archive:
  endpoint: %s
  bucket: %s
  prefix: %s
  retention: 30d
  interval: 10s
  access_key_env: TT_S3_ACCESS
  secret_key_env: TT_S3_SECRET
`, srv.Endpoint, bucket, prefix)
}

// listKeys lists the keys under prefix.
func listKeys(t *testing.T, srv *versitygw.Server, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(srv.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func TestArchive_ServeCapturesArchivedLockedOnceAndByServe(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	versitygw.Env(t, "TT_S3_ACCESS", "TT_S3_SECRET")
	v := newVendor(t)
	cfg, data := writeConfig(t, v, archiveConfig(srv, "evidence", "site-a"))
	origin := server.LogKeyName()
	logDir := "site-a/" + origin + "/"

	// serve captures; its archiver checks the bucket at start.
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	for i := range 3 {
		post(t, c, "https://las.cloud.com/upload", fmt.Sprint(i), fmt.Sprintf(`{"upload":%d}`, i))
	}
	waitComplete(t, 3, "--data", data)
	stop() // signs the last checkpoint

	out, errOut, code := cli(t, "archive", "--once", "-c", cfg)
	if code != 0 || !strings.Contains(out, "7 of 7 records") {
		t.Fatalf("archive --once: exit %d\n%s%s", code, out, errOut)
	}
	keys := strings.Join(listKeys(t, srv, "evidence", logDir), "\n")
	for _, k := range []string{"checkpoint", "log.pub", "tile/0/000.p/7", "tile/entries/000.p/7", "records/000.p/7", "blobs/sha256/"} {
		if !strings.Contains(keys, logDir+k) {
			t.Errorf("no %s in the bucket:\n%s", k, keys)
		}
	}
	r, err := srv.Client().GetObjectRetention(context.Background(), &s3.GetObjectRetentionInput{
		Bucket: aws.String("evidence"), Key: aws.String(logDir + "tile/entries/000.p/7")})
	if err != nil || r.Retention.Mode != types.ObjectLockRetentionModeCompliance ||
		aws.ToTime(r.Retention.RetainUntilDate).Before(time.Now().Add(29*24*time.Hour)) {
		t.Fatalf("retention of the entry bundle: %+v, %v; want COMPLIANCE for 30 days", r, err)
	}
	if out, _, code := cli(t, "archive", "--once", "-c", cfg); code != 0 || !strings.Contains(out, "0 objects written") {
		t.Errorf("second archive --once: exit %d, %s; want nothing written", code, out)
	}
	if out, _, _ := cli(t, "doctor", "-c", cfg); !strings.Contains(out, "Object Lock on") || !strings.Contains(out, "7 of 7 records archived") {
		t.Errorf("doctor says nothing of the archive:\n%s", out)
	}

	// More captures; serve's archiver pushes them (and the checkpoint
	// the stop signed) when it next starts.
	addr, stop = startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/upload", "3", `{"upload":3}`)
	waitComplete(t, 4, "--data", data)
	stop()
	_, stop = startServeStop(t, "-c", cfg)
	defer stop()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(strings.Join(listKeys(t, srv, "evidence", logDir), "\n"), logDir+"tile/entries/000.p/10") {
		if time.Now().After(deadline) {
			t.Fatalf("serve's archiver did not push the new captures:\n%s", strings.Join(listKeys(t, srv, "evidence", logDir), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// doctor asks the serve that holds the store (GET /archivez).
	deadline = time.Now().Add(10 * time.Second)
	for out, _, _ := cli(t, "doctor", "-c", cfg); !strings.Contains(out, "10 of 10 records archived"); out, _, _ = cli(t, "doctor", "-c", cfg) {
		if time.Now().After(deadline) {
			t.Fatalf("doctor while serving:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestArchive_UnlockedBucketRefusedAtStart(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "plain", false)
	versitygw.Env(t, "TT_S3_ACCESS", "TT_S3_SECRET")
	v := newVendor(t)
	cfg, _ := writeConfig(t, v, archiveConfig(srv, "plain", "x"))
	_, errOut, code := cli(t, "serve", "-c", cfg)
	if code == 0 || !strings.Contains(errOut, "Object Lock") || !strings.Contains(errOut, "allow_unlocked") {
		t.Fatalf("serve with an unlocked bucket: exit %d, %s; want a refusal naming Object Lock and allow_unlocked", code, errOut)
	}
}

func TestArchive_KillNineMidPushResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	versitygw.Env(t, "TT_S3_ACCESS", "TT_S3_SECRET")
	v := newVendor(t)
	cfg, data := writeConfig(t, v, archiveConfig(srv, "evidence", "k"))
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	const n = 400
	for i := range n {
		post(t, c, "https://las.cloud.com/upload", fmt.Sprint(i), fmt.Sprintf(`{"upload":%d,"pad":"%0200d"}`, i, i))
	}
	waitComplete(t, n, "--data", data, "--limit", "1000")
	stop()

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "TELLTALE_CHILD_ARGS="+strings.Join([]string{"archive", "-c", cfg}, "\x1f"))
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	logDir := "k/" + server.LogKeyName() + "/"
	deadline := time.Now().Add(30 * time.Second)
	for len(listKeys(t, srv, "evidence", logDir+"blobs/")) < 100 {
		if time.Now().After(deadline) {
			t.Fatal("the archiver wrote no bodies")
		}
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Signal(os.Kill)
	child.Wait()
	if keys := listKeys(t, srv, "evidence", logDir+"checkpoint"); len(keys) != 0 {
		t.Fatalf("the push finished before the kill (%v); the test needs more captures", keys)
	}

	out, errOut, code := cli(t, "archive", "--once", "-c", cfg)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d of %d records", 2*n+1, 2*n+1)) || strings.Contains(out, " 0 already there") {
		t.Fatalf("archive after kill -9: exit %d\n%s%s; want every record, some objects found already there", code, out, errOut)
	}
	bundles := listKeys(t, srv, "evidence", logDir+"tile/entries/")
	if want := []string{logDir + "tile/entries/000", logDir + "tile/entries/001", logDir + "tile/entries/002", logDir + "tile/entries/003.p/33"}; fmt.Sprint(bundles) != fmt.Sprint(want) {
		t.Errorf("entry bundles after resume: %v, want %v", bundles, want)
	}
}

// archiveSite runs serve on a data dir of its own, makes n captures, stops
// it and archives the log under prefix; it returns the log's verifier key
// and the data dir.
func archiveSite(t *testing.T, srv *versitygw.Server, prefix string, n int) (vkey, data string) {
	t.Helper()
	v := newVendor(t)
	cfg, data := writeConfig(t, v, archiveConfig(srv, "evidence", prefix))
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	for i := range n {
		post(t, c, "https://las.cloud.com/upload", fmt.Sprint(i), fmt.Sprintf(`{"site":%q,"upload":%d}`, prefix, i))
	}
	waitComplete(t, n, "--data", data)
	stop()
	if out, errOut, code := cli(t, "archive", "--once", "-c", cfg); code != 0 {
		t.Fatalf("archive %s: exit %d\n%s%s", prefix, code, out, errOut)
	}
	key, err := os.ReadFile(filepath.Join(data, "ca", "log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(key)), data
}

func TestEstate_TwoLicenseServersReviewedAndExportedAfterOneIsGone(t *testing.T) {
	srv := versitygw.Start(t)
	srv.Bucket(t, "evidence", true)
	versitygw.Env(t, "TT_S3_ACCESS", "TT_S3_SECRET")
	keyA, dataA := archiveSite(t, srv, "fra", 2)
	keyB, _ := archiveSite(t, srv, "iad", 3)
	estateYAML := filepath.Join(t.TempDir(), "estate.yaml")
	os.WriteFile(estateYAML, []byte(fmt.Sprintf(`archive:
  endpoint: %s
  bucket: evidence
  access_key_env: TT_S3_ACCESS
  secret_key_env: TT_S3_SECRET
logs:
  - {name: Frankfurt, key: %q, prefix: fra}
  - {name: Virginia, key: %q, prefix: iad}
`, srv.Endpoint, keyA, keyB)), 0o644)

	// Frankfurt's license server is rebuilt: its data dir is gone.
	if err := os.RemoveAll(dataA); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, "estate", "-c", estateYAML)
	if code != 0 || strings.Count(out, "verified") != 2 || !strings.Contains(out, "Frankfurt") || !strings.Contains(out, "Virginia") {
		t.Fatalf("estate: exit %d\n%s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`Frankfurt\s+\S+\s+5\s+1\s`).MatchString(out) || !regexp.MustCompile(`Virginia\s+\S+\s+7\s+1\s`).MatchString(out) {
		t.Errorf("estate lists the wrong records or checkpoints:\n%s", out)
	}
	if out, errOut, code := cli(t, "estate", "-c", estateYAML, "--skip-bodies"); code != 0 || strings.Count(out, "verified") != 2 {
		t.Fatalf("estate --skip-bodies: exit %d\n%s%s", code, out, errOut)
	}
	// With --state the next review starts from the trees this one verified.
	state := filepath.Join(t.TempDir(), "state.json")
	for range 2 {
		if out, errOut, code := cli(t, "estate", "-c", estateYAML, "--state", state); code != 0 || strings.Count(out, "verified") != 2 {
			t.Fatalf("estate --state: exit %d\n%s%s", code, out, errOut)
		}
	}
	if b, err := os.ReadFile(state); err != nil || !strings.Contains(string(b), `"size": 5`) || !strings.Contains(string(b), `"size": 7`) {
		t.Errorf("state file: %s (%v)", b, err)
	}
	zipPath := filepath.Join(t.TempDir(), "fra.zip")
	if out, errOut, code := cli(t, "estate", "export", "-c", estateYAML, "--log", "Frankfurt", "-o", zipPath); code != 0 {
		t.Fatalf("estate export: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := cli(t, "estate", "verify", zipPath, "--key", keyA, "--prefix", "fra"); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("estate verify of the export: exit %d\n%s%s", code, out, errOut)
	}
	if _, _, code := cli(t, "estate", "verify", zipPath, "--key", keyB, "--prefix", "fra"); code == 0 {
		t.Error("the export verifies with another log's key")
	}
}
