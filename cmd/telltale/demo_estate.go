package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rs/zerolog"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/internal/gobin"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// The demo estate's S3 server: versitygw on loopback, with credentials
// that exist only for it.
const (
	demoS3Access    = "telltaledemoaccess"
	demoS3Secret    = "telltaledemosecret0123456789"
	demoS3AccessEnv = "TT_DEMO_S3_ACCESS"
	demoS3SecretEnv = "TT_DEMO_S3_SECRET"
	demoBucket      = "telltale-demo-estate"
)

// runDemoEstate is `telltale demo --estate`: two simulated license
// servers, each behind its own serve, archived to a local S3 server with
// Object Lock (versitygw) and reviewed together by telltale estate.
func runDemoEstate(ctx context.Context, out, logw io.Writer, o demoOptions) error {
	endpoint, stopS3, err := startDemoS3(ctx, filepath.Join(o.data, "s3"))
	if err != nil {
		return err
	}
	defer stopS3()
	os.Setenv(demoS3AccessEnv, demoS3Access)
	os.Setenv(demoS3SecretEnv, demoS3Secret)
	fmt.Fprintf(out, "S3 server with Object Lock (versitygw) on %s, bucket %s\n", endpoint, demoBucket)
	var logs []string
	for i, site := range []string{"frankfurt", "virginia"} {
		key, err := demoEstateSite(ctx, out, logw, endpoint, site, o.seed+int64(i), o)
		if err != nil {
			return fmt.Errorf("%s: %w", site, err)
		}
		logs = append(logs, fmt.Sprintf("  - {name: %s, key: %q, prefix: %s}\n", site, key, site))
	}
	file := filepath.Join(o.data, "estate.yaml")
	yaml := fmt.Sprintf("archive: {endpoint: %s, bucket: %s, access_key_env: %s, secret_key_env: %s}\nlogs:\n%s",
		endpoint, demoBucket, demoS3AccessEnv, demoS3SecretEnv, strings.Join(logs, ""))
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		return err
	}
	restored := filepath.Join(o.data, "restored")
	os.RemoveAll(restored)
	for _, args := range [][]string{{"estate", "-c", file}, {"estate", "position", "-c", file, "--days", fmt.Sprint(o.days), "--data", restored}} {
		fmt.Fprintf(out, "\n$ telltale %s\n", strings.Join(args, " "))
		if code := run(ctx, args, out, logw); code != 0 {
			return fmt.Errorf("telltale %s: exit %d", strings.Join(args, " "), code)
		}
	}
	fmt.Fprintf(out, "\nThe restored logs are data dirs: telltale list --data %s/01, telltale verify --data %s/02.\n", restored, restored)
	if o.exit {
		return nil
	}
	fmt.Fprintf(out, "S3 server kept until Ctrl-C. In another shell:\n  export %s=%s %s=%s\n  telltale estate -c %s\n",
		demoS3AccessEnv, demoS3Access, demoS3SecretEnv, demoS3Secret, file)
	<-ctx.Done()
	return nil
}

// demoEstateSite drives one simulated license server through its own
// serve (data dir DATA/<site>), stops it, pushes its log to the archive
// and returns the log's verifier key.
func demoEstateSite(ctx context.Context, out, logw io.Writer, endpoint, site string, seed int64, o demoOptions) (string, error) {
	las, err := testbed.NewLAS(testbed.LASOptions{Seed: seed})
	if err != nil {
		return "", err
	}
	las.Start()
	defer las.Close()
	cfg, err := demoConfig(filepath.Join(o.data, site), las)
	if err != nil {
		return "", err
	}
	cfg.Archive = configs.Archive{Endpoint: endpoint, Bucket: demoBucket, Prefix: site, Retention: configs.Duration(24 * time.Hour),
		AccessKeyEnv: demoS3AccessEnv, SecretKeyEnv: demoS3SecretEnv}
	s, closeServer, err := newDemoServer(cfg, logw)
	if err != nil {
		return "", err
	}
	runCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Run(runCtx) }()
	rep, err := demoDrive(ctx, s, demoOptions{days: o.days, seed: seed})
	if err == nil {
		err = demoSettle(ctx, s, cfg)
	}
	stop()
	err = errors.Join(err, <-served)
	closeServer()
	if err != nil {
		return "", err
	}
	st, err := store.Open(cfg.DataDir, store.Options{})
	if err != nil {
		return "", err
	}
	defer st.Close()
	a, err := server.OpenArchive(ctx, cfg, st, zerolog.Nop())
	if err != nil {
		return "", err
	}
	n, err := a.Step(ctx)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out, "License server %s: %d simulated days, %d requests through its Telltale; archived %d records in %d objects.\n",
		site, o.days, len(rep.Sent), a.Status().Archived, n)
	key, err := os.ReadFile(filepath.Join(cfg.DataDir, "ca", "log.pub"))
	return strings.TrimSpace(string(key)), err
}

// startDemoS3 runs versitygw on a loopback port with its files under dir
// and creates the demo's bucket with Object Lock.
func startDemoS3(ctx context.Context, dir string) (string, func(), error) {
	bin := gobin.Find("versitygw")
	if bin == "" {
		return "", nil, errors.New("demo --estate needs versitygw, an S3 server with Object Lock: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	}
	root, versions := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--port", addr, "--access", demoS3Access, "--secret", demoS3Secret, "--quiet",
		"posix", "--versioning-dir", versions, root)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	endpoint := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(endpoint + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("versitygw did not answer on %s", addr)
		}
	}
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(demoS3Access, demoS3Secret, "")})
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(demoBucket), ObjectLockEnabledForBucket: aws.Bool(true)})
	if err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		stop()
		return "", nil, fmt.Errorf("create the demo bucket: %w", err)
	}
	return endpoint, stop, nil
}
