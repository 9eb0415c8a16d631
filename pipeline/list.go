package pipeline

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// listing is what Run asks of a store that lists in parallel: the window,
// the shard, how many list requests may be in flight, and where the
// objects go.
type listing struct {
	window        Window
	lateness      time.Duration
	shard, shards int // shards <= 1: not sharded
	listers       int
	now           time.Time
	// emit receives each listed object, from several goroutines at once.
	// mine says the object lies in a key range that this shard owns (see
	// shard.go) and is this shard's whatever its key says; otherwise the
	// object's own owner decides.
	emit func(o Object, mine bool) error
}

func (l *listing) sharded() bool { return l.shards > 1 }

// owns reports whether this shard owns day t of the layout prefix prefix.
func (l *listing) owns(prefix string, t time.Time) bool {
	return !l.sharded() || dayOwner(prefix, t, l.shards) == l.shard
}

// end is the last key time the window can need (zero: unbounded).
func (l *listing) end() time.Time {
	if l.window.To.IsZero() {
		return time.Time{}
	}
	return l.window.To.Add(l.lateness)
}

// parallelLister is a store that lists with several streams at once and
// knows which of its key ranges a shard owns (S3 prefixes, inventories).
type parallelLister interface {
	listParallel(ctx context.Context, l *listing) error
}

// listUnsharded is the store interface's list for a parallelLister: all
// of it, with the default number of list streams.
func listUnsharded(ctx context.Context, pl parallelLister, w Window, lateness time.Duration, out func(Object) error) error {
	return pl.listParallel(ctx, &listing{window: w, lateness: lateness, listers: listConcurrencyDefault, now: time.Now(),
		emit: func(o Object, _ bool) error { return out(o) }})
}

// listAll lists the objects of every store, in order of the sources, and
// passes those that the window, the shard and cfg.Skip keep to send. The
// filters and send run under one lock, so Skip and send are never called
// concurrently; a send that blocks holds back every lister. A source that
// lists nothing is checked for being empty (checkEmpty).
func listAll(ctx context.Context, cfg *Config, stores []store, sources []string, stats *Stats, send func(*Object, store) error) error {
	var mu sync.Mutex
	for i, st := range stores {
		var listed int64 // of this source
		keep := func(o Object, mine bool) error {
			mu.Lock()
			defer mu.Unlock()
			stats.Listed.Add(1)
			listed++
			o.Source = sources[i]
			if cfg.Window.Skip(o.Key, cfg.Lateness) {
				stats.skipTime(o.Key)
				return nil
			}
			if cfg.Shards > 1 && !mine && ObjectShard(&o, cfg.Shards) != cfg.Shard {
				stats.SkippedShard.Add(1)
				return nil
			}
			if cfg.Skip != nil && cfg.Skip(&o) {
				stats.SkippedDone.Add(1)
				return nil
			}
			return send(&o, st)
		}
		var err error
		if pl, ok := st.(parallelLister); ok {
			err = pl.listParallel(ctx, &listing{
				window: cfg.Window, lateness: cfg.Lateness, shard: cfg.Shard, shards: cfg.Shards,
				listers: cfg.ListConcurrency, now: time.Now(), emit: keep,
			})
		} else {
			err = st.list(ctx, cfg.Window, cfg.Lateness, func(o Object) error { return keep(o, false) })
		}
		if err == nil && listed == 0 {
			err = checkEmpty(ctx, cfg, st, sources[i], stats)
		}
		if err != nil {
			return err
		}
	}
	stats.ListDone.Store(true)
	return nil
}

// taskQueue runs tasks on a fixed number of goroutines; a running task may
// add more. The queue is done when no task is queued or running. It is
// first in, first out, so listings proceed roughly in key (time) order.
type taskQueue struct {
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []func(context.Context) error
	busy    int // tasks running
	waiting int // goroutines waiting for a task
	done    bool
}

func newTaskQueue() *taskQueue {
	q := &taskQueue{}
	q.cond.L = &q.mu
	return q
}

// push queues a task.
func (q *taskQueue) push(t func(context.Context) error) {
	q.mu.Lock()
	q.tasks = append(q.tasks, t)
	q.mu.Unlock()
	q.cond.Signal()
}

// hungry reports whether a goroutine is waiting with no task to take: a
// task may then split its work.
func (q *taskQueue) hungry() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting > len(q.tasks)
}

// run runs the queued tasks and those they add on n goroutines until
// none is left, or until the first error, which it returns.
func (q *taskQueue) run(ctx context.Context, n int) error {
	g, gctx := errgroup.WithContext(ctx)
	stop := context.AfterFunc(gctx, func() {
		q.mu.Lock()
		q.done = true
		q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	for range max(n, 1) {
		g.Go(func() error {
			for {
				t := q.next()
				if t == nil {
					return nil
				}
				err := t(gctx)
				q.finish()
				if err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (q *taskQueue) next() func(context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.tasks) == 0 && q.busy > 0 && !q.done {
		q.waiting++
		q.cond.Wait()
		q.waiting--
	}
	if q.done || len(q.tasks) == 0 {
		q.done = true
		q.cond.Broadcast()
		return nil
	}
	t := q.tasks[0]
	q.tasks[0] = nil
	q.tasks = q.tasks[1:]
	q.busy++
	return t
}

func (q *taskQueue) finish() {
	q.mu.Lock()
	q.busy--
	done := q.busy == 0 && len(q.tasks) == 0
	q.done = q.done || done
	q.mu.Unlock()
	if done {
		q.cond.Broadcast()
	}
}
