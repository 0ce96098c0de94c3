package configs

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Witness is a C2SP tlog-witness (https://c2sp.org/tlog-witness) that
// serve asks to cosign each new checkpoint (evidence.witnesses): it
// cosigns a checkpoint only once it has checked that it extends the last
// one it cosigned for the log, so a rewritten log cannot get its
// cosignature. The witness must know the log: its origin (the log key's
// name, in DATA/ca/log.pub) and that key.
type Witness struct {
	// URL is the witness's prefix: serve POSTs to URL/add-checkpoint.
	URL string `yaml:"url"`
	// Key is the witness's verifier key, a cosignature/v1 (or Ed25519)
	// note key "name+hash+base64": its cosignatures are checked with it
	// before they are stored, and `telltale verify --witness` takes it.
	Key string `yaml:"key"`
}

// Name is the witness's name, the first field of its key.
func (w Witness) Name() string {
	name, _, _ := strings.Cut(w.Key, "+")
	return name
}

// The verifier key algorithms a witness key may have (c2sp.org/signed-note).
const (
	witnessAlgEd25519     = 0x01
	witnessAlgCosignature = 0x04
)

// checkWitnesses checks evidence.witnesses: URLs, keys, no witness twice.
func (c *Config) checkWitnesses() error {
	seen := map[string]bool{}
	for i, w := range c.Evidence.Witnesses {
		key := fmt.Sprintf("evidence.witnesses[%d]", i)
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &KeyError{key + ".url", fmt.Sprintf("%q: must be an http:// or https:// URL (the witness's prefix)", w.URL)}
		}
		if err := checkWitnessKey(w.Key); err != nil {
			return &KeyError{key + ".key", fmt.Sprintf("%q: %v", w.Key, err)}
		}
		if seen[w.Name()] {
			return &KeyError{key + ".key", fmt.Sprintf("witness %q is listed twice", w.Name())}
		}
		seen[w.Name()] = true
	}
	return nil
}

// checkWitnessKey checks the form of a vkey: name+hash+base64(alg ‖ key).
func checkWitnessKey(k string) error {
	parts := strings.SplitN(k, "+", 3)
	if len(parts) != 3 || parts[0] == "" || len(parts[1]) != 8 {
		return fmt.Errorf("must be a witness verifier key, name+hash+key (as the witness prints it)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || (raw[0] != witnessAlgCosignature && raw[0] != witnessAlgEd25519) {
		return fmt.Errorf("must be an Ed25519 or cosignature/v1 verifier key, name+hash+key")
	}
	return nil
}

// MaxCheckpointDebounce bounds evidence.checkpoint_debounce: an upload is
// anchored only after it, so it is kept short.
const MaxCheckpointDebounce = time.Hour

// checkDebounce checks evidence.checkpoint_debounce.
func (c *Config) checkDebounce() error {
	d := time.Duration(c.Evidence.CheckpointDebounce)
	if d < 0 || d > MaxCheckpointDebounce {
		return &KeyError{"evidence.checkpoint_debounce", fmt.Sprintf("%v: must be 0 (sign at checkpoint_interval only) to %v (example: 1m)",
			d, MaxCheckpointDebounce)}
	}
	return nil
}
