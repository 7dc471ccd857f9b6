package hetzner

import (
	"context"
	"errors"
	"time"
)

// errBudget says pollEvery's budget ran out before its check held.
var errBudget = errors.New("poll budget spent")

// pollEvery calls check every interval until it reports done, for at most
// budget: the wait of a rolling HA apply for something only the servers
// can do (label themselves ready, claim the Floating IP). check gets a
// context bounded by the budget; an error it returns while that context is
// live ends the poll, one that comes from the budget running out does not.
// It returns nil once check is done, errBudget when the budget ran out, and
// parent's error when the caller gave up first, so each wait can say which.
func pollEvery(parent context.Context, budget, interval time.Duration, check func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(parent, budget)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		done, err := check(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			return err
		case err == nil && done:
			return nil
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return parent.Err()
			}
			return errBudget
		case <-t.C:
		}
	}
}
