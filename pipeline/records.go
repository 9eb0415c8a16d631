package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/s3logs/s3logs/parse"
)

// Consumer receives the records of a run from the record stage (Run).
//
// The stage gives each worker, for each log object it reads chunks of, a
// Part from NewPart; every call on a part comes from that worker's
// goroutine. Once the object has been read to its end and all its chunks
// processed, the stage calls Commit for each of its parts, on the worker
// that processed the object's last chunk; if the object fails instead
// (Config.SkipFailed), it calls Drop for each part, possibly from another
// goroutine. So a consumer that merges parts into its answer only in
// Commit sees every object whole or not at all.
type Consumer interface {
	// NewPart returns the part that collects worker w's records of o.
	// whole reports that o was read to its end in one chunk: that part
	// is committed on worker w right after its chunk, so it may write
	// into worker w's state directly. A part that is not whole needs to
	// hold its records until Commit only where a failed object must add
	// nothing (Config.SkipFailed): without it a failure fails the run,
	// and a consumer may write records through as they come.
	NewPart(w int, o *Object, whole bool) Part
	// Commit merges p, a part of an object read to its end, into worker
	// w's state.
	Commit(w int, p Part) error
	// Drop discards p, a part of an object that failed. It may be called
	// from any goroutine, never at the same time as a call on p.
	Drop(p Part)
}

// RelativeLines is an optional interface of a Consumer. A consumer whose
// RelativeLines returns true does not read the line numbers of the
// records in Part.Records: the record stage may then scan a chunk before
// it knows the chunk's first line number, which saves a pass over the
// chunk's bytes to count its lines (the worker of the next chunk waits
// for that count; see lineMark). sc.LineNumber is then relative to the
// chunk (1 for its first line), except with a prefilter's string to
// search for, where the count is the block skip's own pass and is still
// made first. EndChunk's first and last are then numbered the same way
// (1 and the chunk's number of lines, when relative). The lines of
// rejected lines (the rejects file, --strict's error) are always those in
// the object: a worker waits for a chunk's first line number only when it
// has a rejected line to write. Without RelativeLines, line numbers are
// exact during the scan.
type RelativeLines interface {
	RelativeLines() bool
}

// Part collects the records of one log object read by one worker.
type Part interface {
	// Records reads the records of one chunk from sc, calling Scan, then
	// Record and LineNumber (the 1-based line in the object, or in the
	// chunk: see RelativeLines) for each,
	// until Scan returns false or the part fails. sc applies the stage's
	// prefilter and reject policy; the part must call no other method.
	// A record is valid until the next Scan.
	Records(sc *parse.Scanner) error
	// EndChunk is called after the records of each chunk, with its first
	// and last line (blank and rejected lines included; numbered as
	// LineNumber is) and its size.
	EndChunk(first, last int64, size int) error
}

// stage is the record stage: it turns chunks into records for a Consumer
// under one reject policy.
type stage struct {
	cfg     *Config
	cons    Consumer
	stats   *Stats
	workers []stageWorker

	// relative: the consumer reads no line numbers during a scan
	// (RelativeLines): a chunk is scanned before its lines are resolved.
	relative bool

	mu     sync.Mutex // serialises writes to cfg.Rejects
	rejErr error
}

// stageWorker is one worker's scanner; only its goroutine touches it.
type stageWorker struct {
	sc     *parse.Scanner
	st     *objectState // object being scanned
	strict *parse.ParseError
	// While a chunk is scanned with relative line numbers (stage.relative)
	// and its first line is not known, c is the chunk; off is then what
	// turns its line numbers into the object's once known (known clears
	// c), 0 otherwise. The rejects seen before are held (held, their
	// lines' text in lines) and written in order once it is known, or
	// when they would take more than maxHeld bytes (after waiting for it,
	// with ctx: an error in waitErr).
	c       *chunk
	ctx     context.Context
	off     int64
	held    []heldReject
	lines   []byte
	waitErr error
	stopped bool // the scan was stopped (stop): it did not reach the end
}

// A heldReject is a reject held while its chunk's first line is not
// known: its line's text ends at end in stageWorker.lines.
type heldReject struct {
	pe  parse.ParseError
	end int
}

// dropHeld forgets the rejects held.
func (sw *stageWorker) dropHeld() { sw.held, sw.lines = sw.held[:0], sw.lines[:0] }

// stop stops the scan at a reject (strict) or an error.
func (sw *stageWorker) stop() {
	sw.stopped = true
	sw.sc.Stop()
}

// maxHeld bounds the bytes of rejected lines a worker holds while a
// chunk's first line number is unknown: a chunk of lines that are all
// rejected (not log text) is scanned in turn after its previous chunk,
// as with counted lines, instead of being held whole.
const maxHeld = 256 << 10

var _ chunkHandler = (*stage)(nil)

func newStage(cfg *Config, cons Consumer, stats *Stats) *stage {
	s := &stage{cfg: cfg, cons: cons, stats: stats, workers: make([]stageWorker, cfg.Workers)}
	validating := cfg.Strict || cfg.Rejects != nil
	if r, ok := cons.(RelativeLines); ok {
		// With a prefilter's string to search for, counting first is the
		// block skip's own pass (BlockLines): nothing to save.
		s.relative = r.RelativeLines() && (validating || cfg.Prefilter == nil || len(cfg.Prefilter.Contains) == 0)
	}
	for i := range s.workers {
		sw := &s.workers[i]
		sw.sc = parse.NewBlockScanner(nil)
		sw.sc.SetMaxLineSize(cfg.MaxLineSize)
		if !validating {
			sw.sc.SetPrefilter(cfg.Prefilter)
		}
		sw.sc.OnReject(func(pe *parse.ParseError, line []byte) {
			if sw.c != nil && s.hold(sw, pe, line) {
				return
			}
			pe.Line += sw.off
			if err := s.reject(sw.st, pe, line); err != nil && sw.strict == nil {
				sw.strict = err
				sw.stop()
			}
		})
	}
	return s
}

// reject applies the policy to one malformed line: the rejects file, the
// object's first reason, and --strict, whose error it returns.
func (s *stage) reject(st *objectState, pe *parse.ParseError, line []byte) *parse.ParseError {
	noteCause(st, pe)
	if w := s.cfg.Rejects; w != nil {
		s.writeReject(w, pe, line)
	}
	if s.cfg.Strict {
		cp := *pe
		return &cp
	}
	return nil
}

// noteCause keeps pe's reason as the object's first, if it has none.
func noteCause(st *objectState, pe *parse.ParseError) {
	if st.cause.Load() == nil {
		reason := pe.Field.String() + ": " + pe.Reason
		st.cause.CompareAndSwap(nil, &reason)
	}
}

// writeReject writes one malformed line to the rejects file. The line may
// be a mapped chunk of a file that faults (see readMapped): the lock is
// released by a deferred call.
func (s *stage) writeReject(w io.Writer, pe *parse.ParseError, line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejErr == nil {
		if _, err := fmt.Fprintf(w, "%s\n%s\n", pe.Error(), line); err != nil {
			s.rejErr = fmt.Errorf("writing rejected lines: %w", err)
		}
	}
}

// tooLong rejects a line longer than MaxLineSize, which the reader drops.
func (s *stage) tooLong(st *objectState, line int64, data []byte) error {
	s.stats.Lines.Add(1)
	s.stats.Rejected.Add(1)
	st.lines.Add(1)
	st.rejected.Add(1)
	pe := &parse.ParseError{Object: st.obj.Name, Line: line, Column: s.cfg.MaxLineSize + 1,
		Reason: fmt.Sprintf("line longer than %d bytes", s.cfg.MaxLineSize)}
	if err := s.reject(st, pe, data); err != nil {
		return err
	}
	return nil
}

// hold holds a reject of a chunk whose first line is not known yet
// (stage.relative), with its line numbered in the chunk, and reports
// whether it is done with it. When the held rejects would take more than
// maxHeld bytes it waits for the chunk's first line instead and writes
// them (known): pe is then to be written as usual (false).
func (s *stage) hold(sw *stageWorker, pe *parse.ParseError, line []byte) bool {
	if len(sw.lines)+len(line)+64*len(sw.held) <= maxHeld {
		noteCause(sw.st, pe)
		sw.lines = append(sw.lines, line...)
		sw.held = append(sw.held, heldReject{*pe, len(sw.lines)})
		if s.cfg.Strict {
			sw.stop() // known makes it the run's error
		}
		return true
	}
	if err := sw.c.wait(sw.ctx); err != nil {
		sw.waitErr = err
		sw.stop()
		return true
	}
	if !s.known(sw) {
		sw.stop()
		return true
	}
	return sw.strict != nil
}

// known sets sw.off once the first line of the chunk scanned is known
// (c.wait), and writes the rejects held until then. It returns false,
// dropping them, when an earlier chunk failed, and so did the object:
// its line numbers are not known.
func (s *stage) known(sw *stageWorker) bool {
	c := sw.c
	sw.c = nil
	sw.off = c.first - 1
	if c.first == 0 {
		sw.off = 0
		sw.dropHeld()
		return false
	}
	from := 0
	for i := range sw.held {
		h := &sw.held[i]
		pe := &h.pe
		pe.Line += sw.off
		if s.cfg.Rejects != nil {
			s.writeReject(s.cfg.Rejects, pe, sw.lines[from:h.end])
		}
		from = h.end
		if s.cfg.Strict && sw.strict == nil {
			cp := *pe
			sw.strict = &cp
			sw.stop()
		}
	}
	sw.dropHeld()
	return true
}

// chunk scans one chunk into its object's part. Its line numbers are
// resolved first, counting its lines (parse.Scanner.BlockLines, which
// reads the chunk ahead for the prefilter on the way), unless the
// consumer reads none during the scan (stage.relative): the chunk is then
// scanned first, and the scan gives the count.
func (s *stage) chunk(ctx context.Context, w int, c *chunk) error {
	sw := &s.workers[w]
	st := c.state
	if st.failed.Load() || len(c.data) == 0 && c.index > 0 {
		return nil // an object already failed, or an empty last chunk
	}
	sc := sw.sc
	relative := s.relative && c.at != nil
	if relative {
		sc.ResetBytes(c.data, st.obj.Name, 1)
		sw.c, sw.ctx, sw.off, sw.waitErr = c, ctx, 0, nil
		defer func() {
			sw.c, sw.ctx, sw.off = nil, nil, 0
			// Rejects still held (the chunk's scan faulted: a mapped
			// file that shrank, under SkipFailed) are not numbered with
			// the worker's next chunk.
			sw.dropHeld()
		}()
	} else if c.at != nil {
		sc.ResetBytes(c.data, st.obj.Name, 1)
		if err := c.resolve(ctx, sc.BlockLines()); err != nil {
			return err
		}
		if c.first == 0 {
			return nil // an earlier chunk failed
		}
		sc.SetFirstLine(c.first)
	} else {
		sc.ResetBytes(c.data, st.obj.Name, c.first)
	}
	var p Part
	if c.index == 0 && c.last {
		// A whole object; an empty one gets its part too, so that every
		// object read to its end is committed.
		p = s.cons.NewPart(w, st.obj, true)
		st.whole = p
		if len(c.data) == 0 {
			return nil
		}
	} else {
		// st.parts was made by the reader before the first chunk was sent.
		if p = st.parts[w]; p == nil {
			p = s.cons.NewPart(w, st.obj, false)
			st.parts[w] = p
		}
	}
	sw.st, sw.stopped = st, false
	err := p.Records(sc)
	lines, rejected := sc.Lines(), sc.Rejected()
	s.stats.Lines.Add(lines)
	s.stats.Rejected.Add(rejected)
	s.stats.Unparsed.Add(sc.Skipped())
	s.stats.Warnings.Add(sc.Warned())
	st.lines.Add(lines)
	st.rejected.Add(rejected)
	stopped := err != nil || sw.stopped || s.err() != nil
	if !stopped {
		for sc.Scan() { // the part stopped early: count the rest
		}
	}
	last := sc.LineNumber()
	if relative {
		// The scan counted the chunk's lines, unless it stopped. A scan
		// stopped at --strict's reject ends the run with its error: the
		// lines past it are not read to count them (a mapped file that
		// shrank would fault there, and the error be lost), and the
		// object's next chunks are told it failed (n < 0), so that
		// they write no rejects numbered wrongly before the run ends.
		n := last
		if stopped {
			if s.cfg.Strict && (sw.strict != nil || len(sw.held) > 0) {
				n = -1
			} else {
				n = int64(bytes.Count(c.data, []byte{'\n'}))
			}
		}
		switch {
		case sw.c != nil && len(sw.held) == 0 && sw.waitErr == nil:
			// Nothing to number: the next chunk's mark is set once
			// this one's is, and the worker goes on.
			c.later(n)
		default:
			if err := c.resolve(ctx, n); err != nil && sw.waitErr == nil {
				sw.waitErr = err
			}
			if sw.waitErr != nil {
				return sw.waitErr
			}
			if sw.c != nil {
				s.known(sw)
			}
			if c.first == 0 {
				sw.strict = nil
				return nil // an earlier chunk failed
			}
		}
	}
	if sw.strict != nil {
		e := sw.strict
		sw.strict = nil
		return e
	}
	if err != nil {
		return err
	}
	if err := s.err(); err != nil {
		return err
	}
	first := c.first
	if relative {
		first = 1 // numbered in the chunk (RelativeLines)
	}
	return p.EndChunk(first, last, len(c.data))
}

// objectEnd commits or drops the parts of an object that is done.
func (s *stage) objectEnd(w int, st *objectState) error {
	parts := st.parts
	if st.whole != nil {
		parts = append(parts, st.whole)
	}
	if st.failed.Load() {
		for _, p := range parts {
			if p != nil {
				s.cons.Drop(p)
			}
		}
		return nil
	}
	for _, p := range parts {
		if p != nil {
			if err := s.cons.Commit(w, p); err != nil {
				return err
			}
		}
	}
	if n := st.lines.Load(); n > 0 && st.rejected.Load() == n {
		cause := st.sniff
		if cause == "" {
			if c := st.cause.Load(); c != nil {
				cause = "the first reason: " + *c
			}
		}
		s.stats.addAllRejected(RejectedObject{Name: st.obj.Name, Lines: n, Cause: cause})
	}
	return nil
}

// err returns the error the reject policy holds against the run.
func (s *stage) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejErr
}

// sniff says what the start of an object looks like when it is plainly
// not log text, "" otherwise: the likely cause of an object whose every
// line is rejected.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("PAR1")):
		return "it is a Parquet file, not log text"
	case bytes.HasPrefix(b, []byte("ARROW1")):
		return "it is an Arrow IPC file, not log text"
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "it is gzip-compressed but was read as text"
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "it is zstd-compressed but was read as text"
	case bytes.IndexByte(b[:min(len(b), 4096)], 0) >= 0:
		return "it holds binary data, not log text"
	}
	return ""
}

// RunBlock runs the record stage over data as one object named name, read
// to its end, on the calling goroutine as worker 0 of 1, without I/O: for
// tests, fuzzing and benchmarks of consumers. cfg's reject policy applies;
// its I/O settings are ignored.
func RunBlock(cfg Config, name string, data []byte, cons Consumer) (*Stats, error) {
	cfg.Workers = 1
	cfg.defaults(false)
	stats := cfg.Stats
	if stats == nil {
		stats = &Stats{}
	}
	stats.Start = time.Now()
	s := newStage(&cfg, cons, stats)
	st := newObjectState(&Object{Name: name, Size: int64(len(data))})
	st.sniff = sniff(data)
	c := &chunk{state: st, first: 1, data: data, last: true}
	if err := callChunk(context.Background(), s, 0, c); err != nil {
		return stats, err
	}
	st.pending.Store(0)
	if err := s.objectEnd(0, st); err != nil {
		return stats, err
	}
	stats.Read.Add(1)
	return stats, nil
}

// DryRun lists the objects of sources as Run would and counts what it
// would read (Stats.SkippedDone: the objects left to read), without
// reading any: for --explain.
func DryRun(ctx context.Context, cfg Config, sources []string) (*Stats, error) {
	skip := cfg.Skip
	if cfg.Stats == nil {
		cfg.Stats = &Stats{}
	}
	stats := cfg.Stats
	cfg.Skip = func(o *Object) bool {
		if skip == nil || !skip(o) {
			stats.SkippedDone.Add(1) // counted as "to read"
		}
		return true
	}
	return Run(ctx, cfg, sources, nil)
}
