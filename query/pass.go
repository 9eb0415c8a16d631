package query

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/s3logs/s3logs/lake"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
)

// runPass runs several scans in one pass over the sources, writing scan
// i's result to ws[i]: the record stage parses each line once and every
// record goes to every scan still running, each with its own part of the
// object, so each scan counts objects whole exactly as it would alone.
// One scan is simply Plan.Run.
func runPass(ctx context.Context, cfg pipeline.Config, sources []string, ps []*Plan, ws []RowWriter, o RunOptions) (*pipeline.Stats, error) {
	if len(ps) == 1 {
		return ps[0].Run(ctx, cfg, sources, ws[0], o)
	}
	if !cfg.Window.Bounded() {
		for i, p := range ps {
			cfg.Window = unionWindow(cfg.Window, p.window, i == 0)
		}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = pipeline.DefaultWorkers()
	}
	if cfg.Stats == nil {
		cfg.Stats = &pipeline.Stats{}
	}
	cfg.Prefilter = commonPrefilter(ps)
	s := &scans{runs: make([]*run, len(ps)), stopped: make([]atomic.Bool, len(ps))}
	live := 0
	for i, p := range ps {
		if err := ws[i].Begin(p.cols); err != nil {
			return cfg.Stats, err
		}
		s.runs[i] = p.newRun(ws[i], o, cfg.Workers, cfg.SkipFailed)
		defer s.runs[i].spill.close()
		if p.limit == 0 {
			s.stopped[i].Store(true)
		} else {
			live++
		}
	}
	stats := cfg.Stats
	var err error
	if live > 0 {
		stats, err = lake.Run(ctx, cfg, sources, s, unionScan(ps))
		for _, r := range s.runs {
			r.noteFailed(stats)
		}
	}
	if errors.Is(err, errLimit) {
		err = nil
	}
	if err != nil {
		return stats, err
	}
	for i, r := range s.runs {
		if ps[i].limit != 0 {
			if err := r.finish(); err != nil {
				return stats, err
			}
		}
		if err := ws[i].End(); err != nil {
			return stats, err
		}
	}
	return stats, nil
}

// commonPrefilter is a line prefilter every scan implies: the literals
// all of them need, and the time range that holds all their windows. A
// line it skips would be skipped by each scan alone. (Each scan still
// checks its own WHERE in full.)
func commonPrefilter(ps []*Plan) *parse.Prefilter {
	var out *parse.Prefilter
	for i, p := range ps {
		f := p.prefilter()
		if f == nil {
			return nil
		}
		if i == 0 {
			c := *f
			out = &c
			continue
		}
		var both [][]byte
		for _, l := range out.Contains {
			if slices.ContainsFunc(f.Contains, func(m []byte) bool { return string(m) == string(l) }) {
				both = append(both, l)
			}
		}
		out.Contains = both
		if out.Time && f.Time {
			out.From, out.To = min(out.From, f.From), max(out.To, f.To)
		} else {
			out.Time = false
		}
	}
	if out != nil && len(out.Contains) == 0 && !out.Time {
		return nil
	}
	return out
}

// scans is the pipeline.Consumer of a pass that feeds several scans.
type scans struct {
	runs    []*run
	stopped []atomic.Bool // a scan that has its LIMIT takes no more records
}

var _ pipeline.Consumer = (*scans)(nil)

// RelativeLines reports that no scan reads line numbers
// (pipeline.RelativeLines).
func (s *scans) RelativeLines() bool {
	for _, r := range s.runs {
		if !r.RelativeLines() {
			return false
		}
	}
	return true
}

// scanParts are one worker's parts of one object, one per scan.
type scanParts struct {
	s     *scans
	parts []*part
}

func (s *scans) NewPart(w int, o *pipeline.Object, whole bool) pipeline.Part {
	sp := &scanParts{s: s, parts: make([]*part, len(s.runs))}
	for i, r := range s.runs {
		sp.parts[i] = r.NewPart(w, o, whole).(*part)
	}
	return sp
}

// Records hands each record of a chunk to every scan still running.
func (sp *scanParts) Records(sc *parse.Scanner) error {
	for _, p := range sp.parts {
		p.w.rc.rec = sc.Record()
		p.w.rc.origin.Object = p.name
	}
	for sc.Scan() {
		line := sc.LineNumber()
		if err := sp.offer(func(*part) int64 { return line }); err != nil {
			return err
		}
	}
	return nil
}

// LakeRecords hands each record of a unit of converted output to every
// scan still running.
func (sp *scanParts) LakeRecords(rs *lake.Records) error {
	for _, p := range sp.parts {
		p.w.rc.rec = rs.Record()
	}
	for rs.Scan() {
		err := sp.offer(func(p *part) int64 {
			rs.Origin(&p.w.rc.origin)
			return p.w.rc.origin.Line
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// offer offers the current record to every scan still running, each at
// the line line gives it (after setting its origin). It returns errLimit
// once every scan has stopped.
func (sp *scanParts) offer(line func(*part) int64) error {
	live := false
	for i, p := range sp.parts {
		if sp.s.stopped[i].Load() {
			continue
		}
		if err := p.offer(line(p)); err != nil {
			if !errors.Is(err, errLimit) {
				return err
			}
			sp.s.stopped[i].Store(true)
			continue
		}
		live = true
	}
	if !live {
		return errLimit
	}
	return nil
}

// offer evaluates the scan's WHERE on the current record and hands it on
// if it passes.
func (p *part) offer(line int64) error {
	w := p.w
	w.rc.origin.Line = line
	for i := range p.r.p.conjuncts {
		if !p.r.p.conjuncts[i].test(&w.rc) {
			return nil
		}
	}
	return p.r.row(p)
}

func (sp *scanParts) EndChunk(first, last int64, size int) error {
	for i, p := range sp.parts {
		if sp.s.stopped[i].Load() {
			continue
		}
		if err := p.EndChunk(first, last, size); err != nil {
			return err
		}
	}
	return nil
}

func (s *scans) Commit(w int, pp pipeline.Part) error {
	sp := pp.(*scanParts)
	for i, p := range sp.parts {
		if s.stopped[i].Load() {
			continue
		}
		if err := s.runs[i].Commit(w, p); err != nil {
			if !errors.Is(err, errLimit) {
				return err
			}
			s.stopped[i].Store(true)
		}
	}
	for i := range s.stopped {
		if !s.stopped[i].Load() {
			return nil
		}
	}
	return errLimit // every scan has its rows
}

func (s *scans) Drop(pp pipeline.Part) {
	for i, p := range pp.(*scanParts).parts {
		s.runs[i].Drop(p)
	}
}
