package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Errors the bucket returns; test them with errors.Is.
var (
	// ErrConflict: an object the archive writes once is already there
	// with other bytes. Telltale never overwrites it.
	ErrConflict = errors.New("object already in the bucket with other bytes")
	// ErrUnlocked: the bucket has no Object Lock, and the configuration
	// asks for COMPLIANCE without allow_unlocked.
	ErrUnlocked = errors.New("bucket has no Object Lock")
	// ErrNotFound: no such object.
	ErrNotFound = errors.New("no such object")
)

// Lock modes (S3 ObjectLockMode).
const (
	Compliance = "COMPLIANCE"
	Governance = "GOVERNANCE"
)

// BucketOptions say where the bucket is and whose credentials reach it.
// Zero values mean AWS: the region and credentials from the standard
// chain (environment, shared config files, instance role).
type BucketOptions struct {
	Endpoint string // e.g. https://s3.example.internal:9000; "" for AWS
	Region   string
	Bucket   string
	// PathStyle addresses the bucket as endpoint/bucket/key rather than
	// bucket.endpoint/key: on-premises appliances and test servers want
	// it. It is implied by Endpoint.
	PathStyle bool
	// AccessKeyEnv and SecretKeyEnv name environment variables holding
	// the access key; both "" means the standard chain. Keys are never in
	// the configuration file.
	AccessKeyEnv, SecretKeyEnv, SessionTokenEnv string
	// HTTPClient, when set, carries every request (tests, a guard).
	HTTPClient *http.Client
}

// Bucket is one S3 bucket, written once per key.
type Bucket struct {
	c    *s3.Client
	name string
}

// OpenBucket builds the client; it sends nothing.
func OpenBucket(ctx context.Context, o BucketOptions) (*Bucket, error) {
	if o.Bucket == "" {
		return nil, errors.New("archive: no bucket named")
	}
	var loads []func(*awsconfig.LoadOptions) error
	if o.Region != "" {
		loads = append(loads, awsconfig.WithRegion(o.Region))
	}
	if o.AccessKeyEnv != "" || o.SecretKeyEnv != "" {
		id, secret := os.Getenv(o.AccessKeyEnv), os.Getenv(o.SecretKeyEnv)
		if id == "" || secret == "" {
			return nil, fmt.Errorf("archive: environment variables %s and %s must both hold the access key", o.AccessKeyEnv, o.SecretKeyEnv)
		}
		token := ""
		if o.SessionTokenEnv != "" {
			token = os.Getenv(o.SessionTokenEnv)
		}
		loads = append(loads, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, token)))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("archive: aws config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
			so.UsePathStyle = true
			// Appliances differ in which response checksums they send;
			// the archive checks its own SHA-256s.
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
		if o.PathStyle {
			so.UsePathStyle = true
		}
		if o.HTTPClient != nil {
			so.HTTPClient = o.HTTPClient
		}
	})
	return &Bucket{c: c, name: o.Bucket}, nil
}

// Name is the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Locked reports whether the bucket has Object Lock enabled.
func (b *Bucket) Locked(ctx context.Context) (bool, error) {
	out, err := b.c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &b.name})
	if err != nil {
		if code(err) == "ObjectLockConfigurationNotFoundError" || status(err) == http.StatusNotFound && code(err) != "NoSuchBucket" {
			return false, nil
		}
		return false, fmt.Errorf("bucket %s: object lock configuration: %w", b.name, err)
	}
	return out.ObjectLockConfiguration != nil && out.ObjectLockConfiguration.ObjectLockEnabled == types.ObjectLockEnabledEnabled, nil
}

// Lock is the retention an object is written with; the zero Lock writes
// none (a bucket without Object Lock).
type Lock struct {
	Mode  string // Compliance or Governance
	Until time.Time
}

// PutOnce writes data under key unless the key exists. It returns true
// when it wrote; false when the same bytes were there already; and
// ErrConflict when other bytes are.
func (b *Bucket) PutOnce(ctx context.Context, key string, data []byte, lock Lock) (bool, error) {
	in := b.putInput(key, data, lock)
	in.IfNoneMatch = aws.String("*")
	_, err := b.c.PutObject(ctx, in)
	if err == nil {
		return true, nil
	}
	if s := status(err); s != http.StatusPreconditionFailed && s != http.StatusConflict {
		return false, fmt.Errorf("put %s: %w", key, err)
	}
	same, err := b.holds(ctx, key, data)
	if err != nil {
		return false, err
	}
	if !same {
		return false, fmt.Errorf("put %s: %w", key, ErrConflict)
	}
	return false, nil
}

// Put writes data under key as a new version: only for the key
// checkpoint, whose earlier versions the lock keeps.
func (b *Bucket) Put(ctx context.Context, key string, data []byte, lock Lock) error {
	if _, err := b.c.PutObject(ctx, b.putInput(key, data, lock)); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

func (b *Bucket) putInput(key string, data []byte, lock Lock) *s3.PutObjectInput {
	sum := sha256.Sum256(data)
	in := &s3.PutObjectInput{
		Bucket:            &b.name,
		Key:               &key,
		Body:              bytes.NewReader(data),
		ContentLength:     aws.Int64(int64(len(data))),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		ContentType:       aws.String("application/octet-stream"),
	}
	if lock.Mode != "" {
		in.ObjectLockMode = types.ObjectLockMode(lock.Mode)
		in.ObjectLockRetainUntilDate = aws.Time(lock.Until.UTC().Truncate(time.Second).Add(time.Second))
	}
	return in
}

// holds reports whether the object at key has exactly data.
func (b *Bucket) holds(ctx context.Context, key string, data []byte) (bool, error) {
	got, err := b.Get(ctx, key)
	if err != nil {
		return false, err
	}
	return bytes.Equal(got, data), nil
}

// Get reads the object at key (its current version).
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := b.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: &key})
	if err != nil {
		if status(err) == http.StatusNotFound {
			return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return data, nil
}

// List returns the keys under prefix, in order.
func (b *Bucket) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(b.c, &s3.ListObjectsV2Input{Bucket: &b.name, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Client is the S3 client, for tests and tools that go beyond writing
// once (estate reads retention; tests try to delete).
func (b *Bucket) Client() *s3.Client { return b.c }

// status is the HTTP status of a failed S3 call, 0 when there was none.
func status(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// code is the S3 error code of a failed call ("AccessDenied").
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Refused reports whether err is the server refusing a request
// (AccessDenied, InvalidRequest, a 4xx other than not found).
func Refused(err error) bool {
	s := status(err)
	return s >= 400 && s < 500 && s != http.StatusNotFound || strings.Contains(code(err), "AccessDenied")
}
