package gen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Object is one delivered log object: its key and its records, ordered by
// time.
type Object struct {
	// Key is the object key, named as S3 names it (SPEC §5), including
	// Config.Prefix.
	Key string
	// Time is the time in the key: the delivery time (after the newest
	// record) for the Simple layout and DeliveryTime partitions, or
	// midnight UTC of the day every record falls on for EventTime
	// partitions.
	Time time.Time
	// Bucket is the source bucket all records belong to.
	Bucket string
	// Records are the object's records, oldest first.
	Records []Record
}

// AppendTo appends the object's content to dst: every record's line,
// each followed by "\n".
func (o Object) AppendTo(dst []byte) []byte {
	for i := range o.Records {
		dst = o.Records[i].AppendLine(dst)
		dst = append(dst, '\n')
	}
	return dst
}

// Bytes returns the object's content: its lines joined with "\n", with a
// trailing newline.
func (o Object) Bytes() []byte { return o.AppendTo(make([]byte, 0, 512*len(o.Records))) }

// Generate generates the objects cfg describes, in order, and calls fn
// with each; it stops at the first error fn returns and returns it. Only
// one object is held in memory at a time, so any volume can be generated.
// fn may keep the Object it is given.
func Generate(cfg Config, fn func(Object) error) error {
	c, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	w := newWorld(c)
	for i := 0; i < c.Objects; i++ {
		if err := fn(w.object(i)); err != nil {
			return err
		}
	}
	return nil
}

// All returns every object cfg describes, for tests and small data sets.
func All(cfg Config) ([]Object, error) {
	var objs []Object
	err := Generate(cfg, func(o Object) error {
		objs = append(objs, o)
		return nil
	})
	return objs, err
}

// object generates object i. It depends only on the Config and i.
func (w *world) object(i int) Object {
	c := w.cfg
	r := newRnd(c.Seed, objectStream^(uint64(i)+1)*0x9e3779b97f4a7c15)
	nb := len(w.buckets)
	bi, j := i%nb, i/nb
	perBucket := max(1, (c.Objects-bi+nb-1)/nb)
	span := int64(c.Span / time.Second)
	lo := span * int64(j) / int64(perBucket)
	hi := span * int64(j+1) / int64(perBucket)
	if hi <= lo {
		hi = lo + 1
	}
	// Delivery is best effort: let an object reach back into its
	// predecessor's window.
	lo = max(0, lo-(hi-lo)/2)
	start := c.Start.Unix()
	if c.Layout == Partitioned && c.PartitionDate == EventTime {
		// All records of an EventTime object fall on one UTC day.
		if next := ((start+lo)/86400 + 1) * 86400; start+hi > next {
			hi = next - start
		}
	}
	n := max(1, c.LinesPerObject/2+r.IntN(c.LinesPerObject+1))
	ts := make([]int64, n)
	for k := range ts {
		ts[k] = start + lo + r.Int64N(hi-lo)
	}
	slices.Sort(ts)
	g := &objGen{w: w, r: r, b: &w.buckets[bi], out: make([]Record, 0, n)}
	for len(g.out) < n {
		g.event(time.Unix(ts[len(g.out)], 0).UTC(), n-len(g.out))
	}
	newest := g.out[len(g.out)-1].Time
	var delay int64
	switch x := r.IntN(100); {
	case x < 80:
		delay = r.between(60, 1800)
	case x < 95:
		delay = r.between(1800, 6*3600)
	default:
		delay = r.between(6*3600, 48*3600)
	}
	delivered := newest.Add(time.Duration(delay) * time.Second)
	o := Object{Time: delivered, Bucket: g.b.name, Records: g.out}
	unique := r.chars(16, upperHex)
	if c.Layout == Simple {
		o.Key = c.Prefix + delivered.Format("2006-01-02-15-04-05") + "-" + unique
		return o
	}
	if c.PartitionDate == EventTime {
		first := g.out[0].Time
		o.Time = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	}
	o.Key = c.Prefix + c.SourceAccount + "/" + c.SourceRegion + "/" + g.b.name + "/" +
		o.Time.Format("2006/01/02/2006-01-02-15-04-05") + "-" + unique
	return o
}

// Lines returns n generated lines (seed, otherwise default Config), each
// ending in "\n", as one block: input for parser and query benchmarks.
func Lines(seed int64, n int) []byte {
	return fill(seed, func(lines, _ int) bool { return lines >= n }, n*400)
}

// Block returns generated lines (seed, otherwise default Config), each
// ending in "\n", adding whole lines until the block holds at least size
// bytes.
func Block(seed int64, size int) []byte {
	return fill(seed, func(_, bytes int) bool { return bytes >= size }, size+16<<10)
}

func fill(seed int64, done func(lines, bytes int) bool, capacity int) []byte {
	c, err := Config{Seed: seed, LinesPerObject: 1000, Objects: capacity/400_000 + 1}.withDefaults()
	if err != nil {
		panic(err) // the defaults are valid
	}
	w := newWorld(c)
	buf := make([]byte, 0, capacity)
	lines := 0
	for i := 0; !done(lines, len(buf)); i++ {
		o := w.object(i)
		for k := range o.Records {
			if done(lines, len(buf)) {
				break
			}
			buf = o.Records[k].AppendLine(buf)
			buf = append(buf, '\n')
			lines++
		}
	}
	return buf
}

// Summary counts what a Write or WriteDir produced.
type Summary struct {
	Objects int64
	Lines   int64
	Bytes   int64
	Traps   int64     // records carrying a Trap
	First   time.Time // oldest record time
	Last    time.Time // newest record time
}

// Add counts o.
func (s *Summary) Add(o Object, size int) {
	s.Objects++
	s.Lines += int64(len(o.Records))
	s.Bytes += int64(size)
	for i := range o.Records {
		t := o.Records[i].Time
		if s.First.IsZero() || t.Before(s.First) {
			s.First = t
		}
		if t.After(s.Last) {
			s.Last = t
		}
		if o.Records[i].Trap != TrapNone {
			s.Traps++
		}
	}
}

// String formats the summary on one line.
func (s Summary) String() string {
	return fmt.Sprintf("%d objects, %d lines, %d bytes, %d trap lines, records %s .. %s",
		s.Objects, s.Lines, s.Bytes, s.Traps, s.First.Format(time.RFC3339), s.Last.Format(time.RFC3339))
}

// Write generates the objects cfg describes and stores each with put,
// in order, stopping at the first error or when ctx is done. put receives
// the object key and content; it may keep data.
func Write(ctx context.Context, cfg Config, put func(ctx context.Context, key string, data []byte) error) (Summary, error) {
	var s Summary
	err := Generate(cfg, func(o Object) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		data := o.Bytes()
		if err := put(ctx, o.Key, data); err != nil {
			return fmt.Errorf("gen: %s: %w", o.Key, err)
		}
		s.Add(o, len(data))
		return nil
	})
	return s, err
}

// WriteDir writes the objects cfg describes as files under dir whose
// relative paths are the keys, creating directories as needed. Each file
// is written under a temporary name and renamed, so a reader never sees a
// partial object.
func WriteDir(ctx context.Context, cfg Config, dir string) (Summary, error) {
	return Write(ctx, cfg, func(_ context.Context, key string, data []byte) error {
		return WriteFile(dir, key, data)
	})
}

// WriteFile writes data to the file under dir named by key (a slash
// path), atomically: a temporary file in the same directory, then a
// rename. A key that would leave dir is an error.
func WriteFile(dir, key string, data []byte) error {
	rel := filepath.FromSlash(key)
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("key %q is not a local path", key)
	}
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".gen-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
