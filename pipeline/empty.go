package pipeline

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoObjects marks a source that holds no log objects at all: an empty
// directory, a prefix with nothing under it. A run over it fails rather
// than give a confident empty answer.
var ErrNoObjects = errors.New("no log objects found")

// errFound stops checkEmpty's listing at its first object.
var errFound = errors.New("found an object")

// checkEmpty is called for a source whose listing yielded nothing. Without
// a time window that means the source is empty: ErrNoObjects. With one the
// listing may have been pruned to the window (SPEC §5), so one unbounded
// listing, stopped at its first object, tells an empty source from one
// whose objects all lie outside the window; the object found is counted
// as listed and skipped by key time, so the run can say so.
func checkEmpty(ctx context.Context, cfg *Config, st store, src string, stats *Stats) error {
	if cfg.Window.Bounded() {
		err := st.list(ctx, Window{}, cfg.Lateness, func(o Object) error {
			if cfg.Window.Skip(o.Key, cfg.Lateness) {
				stats.Listed.Add(1)
				stats.skipTime(o.Key)
			}
			return errFound
		})
		if errors.Is(err, errFound) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return fmt.Errorf("%w in %s", ErrNoObjects, src)
}
