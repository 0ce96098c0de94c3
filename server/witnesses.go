package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// openWitnesses gives the anchorer a client of each C2SP witness in
// evidence.witnesses, making its requests with client. The JSON webhook
// of evidence.witness_url stays a notification (Anchorer.Witness): it
// vouches for nothing.
func openWitnesses(a *Anchorer, ev configs.Evidence, client *http.Client) error {
	for i, w := range ev.Witnesses {
		c, err := evidence.NewCosigner(w.URL, w.Key, client)
		if err != nil {
			return configErr(fmt.Errorf("evidence.witnesses[%d]: %w", i, err))
		}
		a.Cosigners = append(a.Cosigners, c)
	}
	return nil
}

// cosign has each witness cosign the latest checkpoint, and reports each
// failure as one of kind store.AnchorCosignatures: a refusal that shows a
// fork wraps evidence.ErrForked.
func (a *Anchorer) cosign(ctx context.Context, st *store.Store) []error {
	var errs []error
	for _, c := range a.Cosigners {
		if _, err := evidence.CosignLatest(ctx, st, c); err != nil {
			errs = append(errs, a.fail(store.AnchorCosignatures, err))
		}
	}
	return errs
}

func (a *Anchorer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
