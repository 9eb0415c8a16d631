package pipeline

import (
	"bytes"
	"context"
)

// Chunk is what rawHandler hands a test: a block of whole lines of one
// object, valid during the call.
type Chunk struct {
	Object    *Object
	FirstLine int64
	Data      []byte
}

// rawHandler drives the reading machinery without the record stage, for
// tests of listing, reading and cutting: every chunk goes to fn as it is,
// and done (when set) is called once per object that ended well.
type rawHandler struct {
	fn   func(w int, c *Chunk) error
	done func(o *Object)
}

func (h *rawHandler) chunk(ctx context.Context, w int, c *chunk) error {
	if err := c.resolve(ctx, int64(bytes.Count(c.data, []byte{'\n'}))); err != nil {
		return err
	}
	if len(c.data) == 0 {
		return nil
	}
	return h.fn(w, &Chunk{Object: c.state.obj, FirstLine: c.first, Data: c.data})
}

func (h *rawHandler) objectEnd(_ int, st *objectState) error {
	if h.done != nil && !st.failed.Load() {
		h.done(st.obj)
	}
	return nil
}

func (h *rawHandler) tooLong(*objectState, int64, []byte) error { return nil }

// runRaw is Run with fn receiving raw chunks instead of records.
func runRaw(ctx context.Context, cfg Config, sources []string, fn func(w int, c *Chunk) error) (*Stats, error) {
	return runRawDone(ctx, cfg, sources, fn, nil)
}

func runRawDone(ctx context.Context, cfg Config, sources []string, fn func(w int, c *Chunk) error, done func(*Object)) (*Stats, error) {
	cfg.defaults(false)
	stats := &Stats{}
	err := runChunks(ctx, &cfg, sources, stats, &rawHandler{fn: fn, done: done})
	return stats, err
}
