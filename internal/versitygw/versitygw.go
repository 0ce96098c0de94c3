// Package versitygw starts a real S3 server with Object Lock for tests:
// versitygw from github.com/versity/versitygw v1.8.0 (.ci/run installs
// it with go install), on a loopback port, with the posix backend in a
// temp dir and bucket versioning (which Object Lock needs) in another.
// It enforces COMPLIANCE retention, which moto does not.
package versitygw

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/telltale/telltale/internal/gobin"
	"github.com/telltale/telltale/internal/testtool"
)

// Version is the versitygw release the tests run.
const Version = "v1.8.0"

// Root credentials of every test server; tests pass them through the
// environment variables named in Env.
const (
	AccessKey = "telltaletestaccess"
	SecretKey = "telltaletestsecretkey0123456789"
)

// Server is a running versitygw.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	Dir      string // the posix backend's root: bucket/key is a file below it

	mu  sync.Mutex
	out bytes.Buffer
}

// Start runs versitygw until the test ends. Without the binary the test
// skips, or fails under CI=true.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := gobin.Find("versitygw")
	if bin == "" {
		testtool.Missing(tb, "versitygw not installed: go install github.com/versity/versitygw/cmd/versitygw@"+Version)
	}
	dir := tb.TempDir()
	root, versions := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	addr := freePort(tb)
	s := &Server{Endpoint: "http://" + addr, Dir: root}
	cmd := exec.Command(bin, "--port", addr, "--access", AccessKey, "--secret", SecretKey, "--quiet",
		"posix", "--versioning-dir", versions, root)
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if tb.Failed() {
			tb.Logf("versitygw output:\n%s", s.output())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("versitygw did not answer on %s: %v\n%s", addr, err, s.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Write collects the server's output.
func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *Server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// Client is an S3 client of the server with the root credentials.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// Bucket creates a bucket, with Object Lock (and so versioning) when
// locked is true.
func (s *Server) Bucket(tb testing.TB, name string, locked bool) {
	tb.Helper()
	_, err := s.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{
		Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(locked)})
	if err != nil {
		tb.Fatalf("create bucket %s: %v", name, err)
	}
	if locked {
		// Some servers take the flag but leave versioning to be asked for.
		_, _ = s.Client().PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	}
}

// Env sets the environment variables a config's archive.access_key_env
// and secret_key_env name to the root credentials.
func Env(tb testing.TB, accessVar, secretVar string) {
	tb.Setenv(accessVar, AccessKey)
	tb.Setenv(secretVar, SecretKey)
}

func freePort(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
