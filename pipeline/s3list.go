package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Listing an S3 prefix (SPEC §5, §7). The listing is a queue of tasks run
// by a bounded number of listers (Config.ListConcurrency), each task one
// ListObjectsV2 stream over a part of the key space:
//
//   - a directory task reads the first page of a delimiter listing of a
//     "directory" p to tell its layout: account directories mean the
//     partitioned layout, keys p<YYYY-mm-DD-HH-MM-SS>-… the simple one;
//     other directories are walked page by page, each subdirectory a task
//     of its own;
//   - the time-ordered part of a layout prefix (for the simple layout the
//     keys p followed by a digit, for the partitioned one everything under
//     <account>/<region>/<bucket>/) is cut at fixed calendar boundaries
//     into ranges listed with StartAfter, from the first key's day (or the
//     window's start) to the window's end plus lateness (or tomorrow);
//   - a range whose listing turns out long is cut again at its remaining
//     time's middle while a lister is idle, so a dense day does not leave
//     the other listers waiting.
//
// Every key lies in exactly one task's range: ranges are (after, upTo] in
// key order with shared boundary strings. Objects are emitted as each page
// arrives, so downloads start with the first page of any stream.

const keyStamp = "2006-01-02-15-04-05"

// pageKeys returns the page size of ListObjectsV2: S3's default and
// maximum, 1000, unless a test set a smaller one (Config.pageKeys).
func (ls *s3Lister) pageKeys() int {
	if ls.s.pageKeys > 0 {
		return ls.s.pageKeys
	}
	return 1000
}

func stamp(t time.Time) string { return t.UTC().Format(keyStamp) }

// timeline is the time-ordered key range of one layout prefix: its keys
// sort by key time, so calendar boundaries cut it into ranges.
type timeline struct {
	prefix string
	layout Layout // LayoutSimple or LayoutPartitioned
	// last is the last name that can be on the timeline ("" the end of
	// the prefix): a listing past it has seen the timeline's end.
	last string
}

// step is the finest cut: an hour for the simple layout, a day for the
// partitioned one (whose EventTime keys all carry their day's midnight).
func (tl timeline) step() time.Duration {
	if tl.layout == LayoutSimple {
		return time.Hour
	}
	return 24 * time.Hour
}

// boundary returns the key string that separates the keys before t (a
// multiple of step) from the keys at or after it. Each instant has one
// boundary string, so adjacent ranges share it exactly.
func (tl timeline) boundary(t time.Time) string {
	if tl.layout == LayoutSimple {
		return tl.prefix + t.UTC().Format("2006-01-02-15")
	}
	return tl.prefix + t.UTC().Format("2006/01/02")
}

// keyTime returns the key time of a key on tl, if it is one.
func (tl timeline) keyTime(key string) (time.Time, bool) {
	k, ok := ObjectKey(key)
	if !ok || k.Layout != tl.layout || k.Prefix != tl.prefix {
		return time.Time{}, false
	}
	return k.Time, true
}

// keyRange is the keys k under prefix with after < k <= upTo ("" is no
// bound), or the rest of an earlier listing when token is set.
type keyRange struct {
	prefix      string
	after, upTo string
	token       *string
	delim       bool // common prefixes become directory tasks
	// mine: the range lies in days this shard owns.
	mine bool
	// tl, when set, lets the range be cut at tl's boundaries; endT is the
	// time of upTo's boundary.
	tl   *timeline
	endT time.Time
	// cur, when set, learns from the listing where the next key after
	// the range is, and gets one more task once the range shows keys (see
	// plan).
	cur   *cursor
	grown bool
	// tail: the range after a timeline's planned days, the last a cursor
	// hands out (see plan).
	tail bool
}

// s3Lister is one listing of an s3Store.
type s3Lister struct {
	s *s3Store
	l *listing
	q *taskQueue
}

func (s *s3Store) listParallel(ctx context.Context, l *listing) error {
	ls := &s3Lister{s: s, l: l, q: newTaskQueue()}
	ls.q.push(func(ctx context.Context) error { return ls.dir(ctx, s.prefix) })
	return ls.q.run(ctx, l.listers)
}

func (s *s3Store) list(ctx context.Context, w Window, lateness time.Duration, out func(Object) error) error {
	return listUnsharded(ctx, s, w, lateness, out)
}

func (ls *s3Lister) emit(obj types.Object, mine bool) error {
	key := aws.ToString(obj.Key)
	o := Object{Name: key, Size: aws.ToInt64(obj.Size)}
	if obj.Size == nil {
		o.Size = -1
	}
	o.Key, _ = ObjectKey(key)
	return ls.l.emit(o, mine)
}

func (ls *s3Lister) pushDir(p string) {
	ls.q.push(func(ctx context.Context) error { return ls.dir(ctx, p) })
}

func (ls *s3Lister) pushRange(r keyRange) {
	ls.q.push(func(ctx context.Context) error { return ls.listRange(ctx, r) })
}

// page sends one ListObjectsV2 request.
func (s *s3Store) page(ctx context.Context, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	if s.pageKeys > 0 {
		in.MaxKeys = aws.Int32(int32(s.pageKeys))
	}
	var out *s3.ListObjectsV2Output
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.client.ListObjectsV2(ctx, in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list s3://%s/%s: %w", s.bucket, aws.ToString(in.Prefix), err)
	}
	return out, nil
}

func truncated(out *s3.ListObjectsV2Output) bool {
	return aws.ToBool(out.IsTruncated) && aws.ToString(out.NextContinuationToken) != ""
}

// entry is a key or a common prefix of a delimiter listing.
type entry struct {
	name string
	obj  *types.Object // nil for a common prefix
}

// entries returns a page's keys and common prefixes in key order (each
// list is sorted already).
func entries(out *s3.ListObjectsV2Output) []entry {
	es := make([]entry, 0, len(out.Contents)+len(out.CommonPrefixes))
	i, j := 0, 0
	for i < len(out.Contents) || j < len(out.CommonPrefixes) {
		if j == len(out.CommonPrefixes) || i < len(out.Contents) && aws.ToString(out.Contents[i].Key) < aws.ToString(out.CommonPrefixes[j].Prefix) {
			es = append(es, entry{aws.ToString(out.Contents[i].Key), &out.Contents[i]})
			i++
		} else {
			es = append(es, entry{name: aws.ToString(out.CommonPrefixes[j].Prefix)})
			j++
		}
	}
	return es
}

// handle emits a key, or queues a directory task for a common prefix.
func (ls *s3Lister) handle(e entry, mine bool) error {
	if e.obj == nil {
		ls.pushDir(e.name)
		return nil
	}
	return ls.emit(*e.obj, mine)
}

// listRange lists r page by page, cutting it while listers are idle.
func (ls *s3Lister) listRange(ctx context.Context, r keyRange) error {
	in := &s3.ListObjectsV2Input{Bucket: &ls.s.bucket, Prefix: aws.String(r.prefix)}
	if r.delim {
		in.Delimiter = aws.String("/")
	}
	if r.token != nil {
		in.ContinuationToken = r.token
	} else if r.after != "" {
		in.StartAfter = aws.String(r.after)
	}
	for {
		out, err := ls.s.page(ctx, in)
		if err != nil {
			return err
		}
		found := false
		for _, e := range entries(out) {
			if r.after != "" && e.name <= r.after {
				continue
			}
			if r.upTo != "" && e.name > r.upTo {
				r.next(e.name)
				return nil
			}
			if err := ls.handle(e, r.mine); err != nil {
				return err
			}
			found = true
		}
		if found && r.cur != nil && !r.grown {
			r.grown = true
			r.cur.grow()
		}
		if !truncated(out) {
			if r.cur != nil {
				r.cur.skipBefore(time.Time{})
			}
			return nil
		}
		in.StartAfter, in.ContinuationToken = nil, out.NextContinuationToken
		ls.maybeCut(&r, out)
	}
}

// next tells r's cursor that name is the first key after r.
func (r *keyRange) next(name string) {
	if r.cur == nil || r.tl == nil {
		return
	}
	if t, ok := r.tl.keyTime(name); ok {
		r.cur.skipBefore(t.Truncate(r.tl.step()))
	} else if r.tl.last != "" && name > r.tl.last {
		r.cur.skipDays() // name is the tail's
	}
}

// maybeCut hands the later half of r's rest to a new task when a lister
// is idle and the rest looks longer than two pages (by the key times of
// the page just read). The rest ends now (S3 writes no key with a later
// time; an hour is allowed for clocks), not at r's end: a re-run's range
// goes to tomorrow.
func (ls *s3Lister) maybeCut(r *keyRange, out *s3.ListObjectsV2Output) {
	if r.tl == nil || r.upTo == "" || len(out.Contents) == 0 || !ls.q.hungry() {
		return
	}
	tl := *r.tl
	last := aws.ToString(out.Contents[len(out.Contents)-1].Key)
	tLast, ok := tl.keyTime(last)
	if !ok {
		return
	}
	step := tl.step()
	end := r.endT
	if now := ls.l.now.Add(time.Hour); !ls.l.now.IsZero() && now.Before(end) {
		end = now
	}
	cut := tLast.Truncate(step).Add(step)
	if !cut.Before(end) {
		return
	}
	if tFirst, ok := tl.keyTime(aws.ToString(out.Contents[0].Key)); ok && tLast.After(tFirst) {
		rest := float64(len(out.Contents)) * float64(end.Sub(tLast)) / float64(tLast.Sub(tFirst))
		if rest < float64(2*ls.pageKeys()) {
			return
		}
	}
	mid := cut.Add(end.Sub(cut) / step / 2 * step)
	m := tl.boundary(mid)
	if m <= last || m >= r.upTo {
		return
	}
	ls.pushRange(keyRange{prefix: r.prefix, after: m, upTo: r.upTo, mine: r.mine, tl: r.tl, endT: r.endT, cur: r.cur})
	r.upTo, r.endT = m, mid
}

// plan lists the days of tl from first to last (UTC day starts,
// inclusive) that this shard owns, limited to (lo, hi] ("" no limit),
// then the range tail (nil: none), which follows the days in key order and
// is listed by every shard. Each run of consecutive
// owned days is one piece; without sharding the days are cut into pieces
// of about eight pages by perDay (keys a day, from a first page; 0
// unknown: pieces of a day). The pieces are taken in key order by tasks
// that start as two and grow by one for each piece found to hold keys, up
// to ListConcurrency; a piece's listing shows where the next key is, and
// the pending pieces before it, empty, are dropped. So the days after the
// last log (and the tail, when nothing follows) cost about no request. The
// tail gets no task of its own while days are pending: it is taken by a
// task done with them, and dropped when a listing of the days reached the
// end of the prefix.
func (ls *s3Lister) plan(tl timeline, first, last time.Time, lo, hi string, perDay float64, tail *keyRange) {
	const day = 24 * time.Hour
	type span struct{ from, to time.Time } // [from, to)
	var runs []span
	for d := first; !d.After(last); d = d.Add(day) {
		if !ls.l.owns(tl.prefix, d) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].to.Equal(d) {
			runs[n-1].to = d.Add(day)
		} else {
			runs = append(runs, span{d, d.Add(day)})
		}
	}
	step := tl.step()
	per := int(day / step) // units a piece
	if perDay > 0 {
		per = max(1, int(8*float64(ls.pageKeys())*float64(day)/float64(step)/perDay))
	}
	cur := &cursor{ls: ls, max: max(ls.l.listers, 1)}
	for _, r := range runs {
		units := int(r.to.Sub(r.from) / step)
		n := units
		if !ls.l.sharded() {
			n = per
		}
		for u := 0; u < units; u += n {
			from, to := r.from.Add(time.Duration(u)*step), r.from.Add(time.Duration(min(u+n, units))*step)
			after, upTo := tl.boundary(from), tl.boundary(to)
			if lo != "" && lo > after {
				after = lo
			}
			if hi != "" && hi < upTo {
				upTo = hi
			}
			if after < upTo {
				cur.pending = append(cur.pending, keyRange{prefix: tl.prefix, after: after, upTo: upTo,
					mine: ls.l.sharded(), tl: &tl, endT: to, cur: cur})
			}
		}
	}
	if tail != nil {
		t := *tail
		t.endT, t.cur, t.tail = forever, cur, true
		cur.pending = append(cur.pending, t)
	}
	cur.start(2)
}

// forever is the end time of a range with no end.
var forever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// cursor hands out the planned ranges of one timeline in key order to a
// growing number of tasks.
type cursor struct {
	ls      *s3Lister
	max     int // tasks at most
	mu      sync.Mutex
	pending []keyRange
	tasks   int
}

// start starts n tasks (fewer if there are fewer ranges).
func (c *cursor) start(n int) {
	for range n {
		c.grow()
	}
}

// grow starts one more task, if there is work for it and room.
func (c *cursor) grow() {
	c.mu.Lock()
	work := len(c.pending)
	if work > 1 && c.pending[work-1].tail {
		work-- // the tail waits for a task done with the days
	}
	ok := c.tasks < c.max && c.tasks < work
	if ok {
		c.tasks++
	}
	c.mu.Unlock()
	if !ok {
		return
	}
	c.ls.q.push(func(ctx context.Context) error {
		for {
			r, ok := c.take()
			if !ok {
				return nil
			}
			if err := c.ls.listRange(ctx, r); err != nil {
				return err
			}
		}
	})
}

func (c *cursor) take() (keyRange, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		c.tasks--
		return keyRange{}, false
	}
	r := c.pending[0]
	c.pending = c.pending[1:]
	return r, true
}

// skipDays drops the pending ranges but the tail: a listing found the
// first key after them in the tail.
func (c *cursor) skipDays() {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i < len(c.pending) && !c.pending[i].tail {
		i++
	}
	c.pending = c.pending[i:]
}

// skipBefore drops the pending ranges that end at or before t: a listing
// found no key between them and a key at t. A zero t drops them all (no
// key follows).
func (c *cursor) skipBefore(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i < len(c.pending) && (t.IsZero() || !c.pending[i].endT.After(t)) {
		i++
	}
	c.pending = c.pending[i:]
}

// density returns keys a day on tl from one page of its listing, or 0
// when the page does not tell.
func density(tl timeline, es []entry) float64 {
	var n int
	var tFirst, tLast time.Time
	for _, e := range es {
		if e.obj == nil {
			continue
		}
		t, ok := tl.keyTime(e.name)
		if !ok {
			continue
		}
		if n == 0 {
			tFirst = t
		}
		tLast = t
		n++
	}
	if n < 2 {
		return 0
	}
	span := max(tLast.Sub(tFirst), tl.step())
	return float64(n) * float64(24*time.Hour) / float64(span)
}

// lastDay is the last day a listing of tl's days covers: the window's end
// (plus lateness), else tomorrow (keys of later days are listed by every
// shard as the tail).
func (ls *s3Lister) lastDay() time.Time {
	if end := ls.l.end(); !end.IsZero() {
		return utcDay(end)
	}
	return utcDay(ls.l.now).Add(24 * time.Hour)
}

// dir lists the "directory" p (see the comment at the top of the file).
func (ls *s3Lister) dir(ctx context.Context, p string) error {
	if d := partitionDepth(p); d > 0 {
		return ls.partition(ctx, p, d)
	}
	in := &s3.ListObjectsV2Input{Bucket: &ls.s.bucket, Prefix: aws.String(p), Delimiter: aws.String("/")}
	out, err := ls.s.page(ctx, in)
	if err != nil {
		return err
	}
	es := entries(out)
	first, simple := firstSimple(p, es)
	if !simple {
		// Neither layout here: the whole directory in order, each
		// subdirectory a task of its own.
		for _, e := range es {
			if err := ls.handle(e, false); err != nil {
				return err
			}
		}
		if truncated(out) {
			return ls.listRange(ctx, keyRange{prefix: p, after: es[len(es)-1].name, token: out.NextContinuationToken, delim: true})
		}
		return nil
	}
	return ls.simple(ctx, p, out, es, first)
}

// firstSimple returns the key time of the first simple-layout key of p on
// a directory's first page, and whether there is one and no account
// directory (which would mean the partitioned layout).
func firstSimple(p string, es []entry) (time.Time, bool) {
	var first time.Time
	found := false
	for _, e := range es {
		rest := e.name[len(p):]
		if e.obj == nil && len(rest) == 13 && isAccount(rest[:12]) {
			return time.Time{}, false
		}
		if e.obj != nil && !found {
			if k, ok := ObjectKey(e.name); ok && k.Layout == LayoutSimple && k.Prefix == p {
				first, found = k.Time, true
			}
		}
	}
	return first, found
}

// simple lists a simple-layout directory p whose first page out (entries
// es) holds its first log key, at key time first. The directory falls in
// three parts in key order:
//
//	pre:  names before the time-ordered keys (<= p+"/"), or before the
//	      first key's day when the window has no start;
//	time: p followed by a digit, cut by days (and hours), from the first
//	      key's day or the window's start to its end plus lateness or
//	      tomorrow;
//	post: names after the time-ordered keys (README, subdirectories), and
//	      with no window end, every key after tomorrow.
//
// Pre and post may hold keys of any shard and are listed by every shard;
// the days of the time part only by their owners. Time-ordered names
// outside a bounded window are not listed: S3 writes none but log keys
// there.
func (ls *s3Lister) simple(ctx context.Context, p string, out *s3.ListObjectsV2Output, es []entry, first time.Time) error {
	digitsEnd := p + "9\U0010FFFF" // the last name starting with p and a digit
	tl := timeline{prefix: p, layout: LayoutSimple, last: digitsEnd}
	w := ls.l.window
	end := ls.l.end()
	firstDay, lo, preEnd := utcDay(first), tl.boundary(utcDay(first)), tl.boundary(utcDay(first))
	if !w.From.IsZero() {
		firstDay, lo, preEnd = utcDay(w.From), p+stamp(w.From), p+"/"
	}
	lastDay := ls.lastDay()
	hi, postAfter := tl.boundary(lastDay.Add(24*time.Hour)), tl.boundary(lastDay.Add(24*time.Hour))
	if !end.IsZero() {
		hi, postAfter = p+stamp(end)+".", digitsEnd
	}
	inTime := func(name string) bool { return name > lo && name <= hi }
	if !truncated(out) {
		// The whole directory on one page.
		for _, e := range es {
			if (e.name > preEnd && e.name <= postAfter) && !inTime(e.name) {
				continue
			}
			if err := ls.handle(e, false); err != nil {
				return err
			}
		}
		return nil
	}
	// Pre: from this page, and the rest of its listing if it ends inside.
	for _, e := range es {
		if e.name > preEnd {
			break
		}
		if err := ls.handle(e, false); err != nil {
			return err
		}
	}
	if last := es[len(es)-1].name; last < preEnd {
		ls.pushRange(keyRange{prefix: p, after: last, upTo: preEnd, token: out.NextContinuationToken, delim: true})
	}
	if !firstDay.After(lastDay) {
		// Post is the cursor's tail, listed after the days unless their
		// listing saw the end of the directory.
		ls.plan(tl, firstDay, lastDay, lo, hi, density(tl, es), &keyRange{prefix: p, after: postAfter, delim: true})
		return nil
	}
	ls.pushRange(keyRange{prefix: p, after: postAfter, delim: true})
	return nil
}

// partitionDepth says where p is inside the partitioned layout: 1 for
// <account>/, 2 for <account>/<region>/, 3 for <account>/<region>/<bucket>/
// (p ends with it), 0 elsewhere.
func partitionDepth(p string) int {
	rest, ok := strings.CutSuffix(p, "/")
	if !ok {
		return 0
	}
	parts := strings.Split(rest, "/")
	for d := 1; d <= 3 && d <= len(parts); d++ {
		if isAccount(parts[len(parts)-d]) {
			return d
		}
	}
	return 0
}

// partition lists p at depth (see partitionDepth) of the partitioned
// layout: the levels down to <bucket>/ with delimiter listings (each
// directory a task), then the bucket's days.
func (ls *s3Lister) partition(ctx context.Context, p string, depth int) error {
	if depth >= 3 {
		return ls.bucketDays(ctx, p)
	}
	in := &s3.ListObjectsV2Input{Bucket: &ls.s.bucket, Prefix: aws.String(p), Delimiter: aws.String("/")}
	for {
		out, err := ls.s.page(ctx, in)
		if err != nil {
			return err
		}
		for _, obj := range out.Contents {
			if err := ls.emit(obj, false); err != nil {
				return err
			}
		}
		for _, cp := range out.CommonPrefixes {
			d := aws.ToString(cp.Prefix)
			ls.q.push(func(ctx context.Context) error { return ls.partition(ctx, d, depth+1) })
		}
		if !truncated(out) {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// bucketDays lists the days of one source bucket b of the partitioned
// layout (b is <prefix><account>/<region>/<bucket>/). A window bounded at
// both ends lists its days only. Otherwise a first page from the window's
// start (or from the beginning) finds the first day; names before it are
// listed by every shard from that page, the days up to the window's end
// or tomorrow by their owners, and with no end, the names after tomorrow
// by every shard.
func (ls *s3Lister) bucketDays(ctx context.Context, b string) error {
	tl := timeline{prefix: b, layout: LayoutPartitioned}
	w := ls.l.window
	end := ls.l.end()
	lastDay := ls.lastDay()
	if !w.From.IsZero() && !end.IsZero() {
		first := utcDay(w.From)
		if !first.After(lastDay) {
			ls.plan(tl, first, lastDay, "", "", 0, nil)
		}
		return nil
	}
	in := &s3.ListObjectsV2Input{Bucket: &ls.s.bucket, Prefix: aws.String(b)}
	lo := ""
	if !w.From.IsZero() {
		lo = tl.boundary(utcDay(w.From))
		in.StartAfter = aws.String(lo)
	}
	out, err := ls.s.page(ctx, in)
	if err != nil {
		return err
	}
	es := entries(out)
	hi := ""
	if !end.IsZero() {
		hi = tl.boundary(lastDay.Add(24 * time.Hour))
	}
	if !truncated(out) {
		for _, e := range es {
			if hi != "" && e.name > hi {
				break
			}
			if err := ls.handle(e, false); err != nil {
				return err
			}
		}
		return nil
	}
	firstDay := utcDay(w.From)
	if w.From.IsZero() {
		found := false
		for _, e := range es {
			if t, ok := tl.keyTime(e.name); ok {
				firstDay, found = utcDay(t), true
				break
			}
		}
		if !found {
			// No log key on the first page: list the rest in order.
			for _, e := range es {
				if err := ls.handle(e, false); err != nil {
					return err
				}
			}
			return ls.listRange(ctx, keyRange{prefix: b, after: es[len(es)-1].name, upTo: hi, token: out.NextContinuationToken})
		}
		lo = tl.boundary(firstDay)
		for _, e := range es {
			if e.name > lo {
				break
			}
			if err := ls.handle(e, false); err != nil {
				return err
			}
		}
	}
	if firstDay.After(lastDay) {
		firstDay = lastDay.Add(24 * time.Hour) // only the tail
	}
	var tail *keyRange
	if end.IsZero() {
		tail = &keyRange{prefix: tl.prefix, after: tl.boundary(lastDay.Add(24 * time.Hour))}
	}
	ls.plan(tl, firstDay, lastDay, lo, hi, density(tl, es), tail)
	return nil
}
