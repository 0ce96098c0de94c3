package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/telltale/telltale/archive"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/estate"
	"github.com/telltale/telltale/evidence"
)

// estateFile is estate.yaml: the archive (the keys of a serve config's
// archive section) and the logs it trusts.
type estateFile struct {
	Archive configs.Archive `yaml:"archive"`
	Logs    []struct {
		Name   string `yaml:"name"`
		Key    string `yaml:"key"`
		Prefix string `yaml:"prefix"`
	} `yaml:"logs"`
	Witnesses []string         `yaml:"witnesses"`
	TSACAFile string           `yaml:"tsa_ca_file"`
	LagWarn   configs.Duration `yaml:"lag_warn"`
}

func newEstateCmd() *cobra.Command {
	var file, state string
	var skipBodies bool
	cmd := &cobra.Command{
		Use:   "estate",
		Short: "Verify and review the archived logs of several license servers (estate.yaml)",
		Long: `Read the S3 archive of every log estate.yaml trusts, from the archive
alone, and verify each: checkpoint signatures, consistency from each
archived checkpoint to the latest, timestamps and cosignatures, every
entry, record and body against its hash. Print one line per license
server (records, last upload, lag) and every gap, fork or tampered object.
Exit 1 when a log does not verify.

estate.yaml:

  archive:            # the keys of serve's archive section
    endpoint: https://s3.example.internal:9000
    bucket: telltale-evidence
    prefix: estate
    access_key_env: TT_S3_ACCESS   # or the standard AWS chain
    secret_key_env: TT_S3_SECRET
  logs:
    - name: Frankfurt production
      key: telltale/lic-fra-01+1a2b3c4d+AbC...   # DATA/ca/log.pub
  witnesses: []       # cosignature/v1 keys whose cosignatures count
  lag_warn: 24h`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := openEstate(cmd, file)
			if err != nil {
				return err
			}
			if state != "" {
				if e.Since, err = readTrusted(state); err != nil {
					return err
				}
			}
			e.Verify.SkipBodies = skipBodies
			rep, err := e.Review(cmd.Context(), showReview(cmd.ErrOrStderr(), e))
			if err != nil {
				return err
			}
			rep.Print(cmd.OutOrStdout())
			if state != "" {
				if err := writeTrusted(state, e.Since, rep.Trusted()); err != nil {
					return err
				}
			}
			if !rep.OK() {
				return errors.New("estate: some logs do not verify (above)")
			}
			return nil
		},
	}
	cmd.PersistentFlags().StringVarP(&file, "config", "c", "estate.yaml", "estate file")
	cmd.Flags().BoolVar(&skipBodies, "skip-bodies", false, "check that each body is in the archive (a listing) without reading and hashing its bytes")
	cmd.Flags().StringVar(&state, "state", "", "file of the trees the last review verified: check only what was archived since, and update it")
	cmd.AddCommand(newEstateExportCmd(&file), newEstateVerifyCmd(), newEstateRestoreCmd(&file), newEstatePositionCmd(&file), newEstateUICmd(&file))
	return cmd
}

func newEstateExportCmd(file *string) *cobra.Command {
	var out, name string
	cmd := &cobra.Command{
		Use:   "export --log NAME -o FILE.zip",
		Short: "Copy one log's archive into a zip that `telltale estate verify` checks offline",
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := openEstate(cmd, *file)
			if err != nil {
				return err
			}
			var log *estate.Log
			for i, l := range e.Logs {
				if l.Name == name || name == "" && len(e.Logs) == 1 {
					log = &e.Logs[i]
				}
			}
			if log == nil {
				return usage(fmt.Errorf("--log %q: not a log of %s", name, *file))
			}
			var b bytes.Buffer
			n, err := estate.Export(cmd.Context(), e.Source, e.Prefix, *log, &b)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d objects of %s\n", out, n, log.Name)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "zip to write")
	cmd.Flags().StringVar(&name, "log", "", "the log's name in estate.yaml")
	cmd.MarkFlagRequired("output")
	return cmd
}

func newEstateVerifyCmd() *cobra.Command {
	var key, prefix string
	var witnesses []string
	cmd := &cobra.Command{
		Use:   "verify FILE.zip --key VKEY",
		Short: "Verify a log exported by `telltale estate export`, offline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			z, err := estate.OpenZip(f, fi.Size())
			if err != nil {
				return err
			}
			r, err := estate.Verify(cmd.Context(), z, prefix, estate.Log{Key: key}, estate.VerifyOptions{Witnesses: witnesses})
			if err != nil {
				return err
			}
			(&estate.Report{Logs: []*estate.LogReport{r}, Time: time.Now(), LagWarn: 24 * time.Hour}).Print(cmd.OutOrStdout())
			if !r.OK() {
				return errors.New("estate verify: the export does not verify (above)")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the log's verifier key")
	cmd.Flags().StringVar(&prefix, "prefix", "", "the archive prefix the export was made under")
	cmd.Flags().StringArrayVar(&witnesses, "witness", nil, "a witness's cosignature/v1 key (repeatable)")
	cmd.MarkFlagRequired("key")
	return cmd
}

// openEstate reads estate.yaml and opens its bucket.
func openEstate(cmd *cobra.Command, file string) (*estate.Estate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, usage(fmt.Errorf("estate: %w", err))
	}
	var f estateFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, usage(fmt.Errorf("%s: %w", file, err))
	}
	if f.Archive.Bucket == "" || len(f.Logs) == 0 {
		return nil, usage(fmt.Errorf("%s: needs archive.bucket and at least one entry in logs", file))
	}
	e := &estate.Estate{Prefix: f.Archive.Prefix, LagWarn: time.Duration(f.LagWarn), Verify: estate.VerifyOptions{Witnesses: f.Witnesses}}
	for i, l := range f.Logs {
		if _, err := evidence.ParseKey(l.Key); err != nil {
			return nil, usage(fmt.Errorf("%s: logs[%d].key: %w", file, i, err))
		}
		e.Logs = append(e.Logs, estate.Log{Name: l.Name, Key: l.Key, Prefix: l.Prefix})
	}
	if f.TSACAFile != "" {
		pem, err := os.ReadFile(f.TSACAFile)
		if err != nil {
			return nil, usage(fmt.Errorf("%s: tsa_ca_file: %w", file, err))
		}
		if e.Verify.TSARoots, err = evidence.ParseTSARoots(pem); err != nil {
			return nil, usage(fmt.Errorf("%s: tsa_ca_file: %w", file, err))
		}
	}
	a := f.Archive
	b, err := archive.OpenBucket(cmd.Context(), archive.BucketOptions{Endpoint: a.Endpoint, Region: a.Region, Bucket: a.Bucket,
		AccessKeyEnv: a.AccessKeyEnv, SecretKeyEnv: a.SecretKeyEnv, SessionTokenEnv: a.SessionTokenEnv})
	if err != nil {
		return nil, err
	}
	e.Source = b
	return e, nil
}

// readTrusted reads --state; a file not there yet is an empty state.
func readTrusted(path string) (map[string]estate.Trusted, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t map[string]estate.Trusted
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("--state %s: %w", path, err)
	}
	return t, nil
}

// writeTrusted writes --state: the trees verified now over those before.
func writeTrusted(path string, old, now map[string]estate.Trusted) error {
	all := map[string]estate.Trusted{}
	for k, v := range old {
		all[k] = v
	}
	for k, v := range now {
		all[k] = v
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
