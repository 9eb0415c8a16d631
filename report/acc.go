package report

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/s3logs/s3logs/parse"
)

// counts are the aggregates of one group.
type counts struct {
	n      int64 // records
	ok     int64 // HTTP status below 400
	denied int64 // HTTP status 403
	slow   int64 // error code SlowDown
	bytes  int64 // sum of bytes sent
	last   int64 // newest request time, Unix seconds
}

func (c *counts) merge(o *counts) {
	c.n += o.n
	c.ok += o.ok
	c.denied += o.denied
	c.slow += o.slow
	c.bytes += o.bytes
	c.last = max(c.last, o.last)
}

// otherKey collects the groups past MaxGroups.
const otherKey = "\x01(other)"

// groups is a bounded GROUP BY: composite keys are the dimension values
// joined by sep. It is not safe for concurrent use.
type groups struct {
	m        map[string]*counts
	max      int
	overflow bool
}

const sep = "\x00"

func newGroups(max int) *groups { return &groups{m: map[string]*counts{}, max: max} }

// get returns the counts of key, creating them (or using the overflow
// group) when missing. The lookup does not allocate for an existing key.
func (g *groups) get(key []byte) *counts {
	if c, ok := g.m[string(key)]; ok {
		return c
	}
	k := string(key)
	if len(g.m) >= g.max {
		g.overflow = true
		k = otherKey
		if c, ok := g.m[k]; ok {
			return c
		}
	}
	c := &counts{}
	g.m[k] = c
	return c
}

func (g *groups) merge(o *groups) {
	g.overflow = g.overflow || o.overflow
	for k, oc := range o.m {
		c, ok := g.m[k]
		if !ok {
			g.m[k] = oc
			continue
		}
		c.merge(oc)
	}
}

// total sums every group.
func (g *groups) total() counts {
	var t counts
	for _, c := range g.m {
		t.merge(c)
	}
	return t
}

// row is a group with its key split into dimension values.
type row struct {
	dims []string
	c    *counts
}

// ranked returns the groups ordered by score descending, ties by key.
func (g *groups) ranked(score func(*counts) int64) []row {
	rows := make([]row, 0, len(g.m))
	for k, c := range g.m {
		rows = append(rows, row{strings.Split(k, sep), c})
	}
	sort.Slice(rows, func(i, j int) bool {
		si, sj := score(rows[i].c), score(rows[j].c)
		if si != sj {
			return si > sj
		}
		return strings.Join(rows[i].dims, sep) < strings.Join(rows[j].dims, sep)
	})
	return rows
}

// event is one deletion.
type event struct {
	t                                  int64
	op, bucket, key, requester, remote string
	status                             int64
}

// Deletion operations, by kind (AWS: DELETE, multi-object delete,
// lifecycle expiration).
const (
	opDelete      = "REST.DELETE.OBJECT"
	opBatchDelete = "BATCH.DELETE.OBJECT"
	opExpire      = "S3.EXPIRE.OBJECT"
	opDeleteMark  = "S3.CREATE.DELETEMARKER"
)

// acc holds every aggregate of the report for one worker.
type acc struct {
	max, topN   int
	records     int64
	first, last int64
	// delN counts DELETE, batch and lifecycle deletions and tlsN TLS 1.0,
	// TLS 1.1 and plain HTTP, exactly whatever the groups keep.
	delN, tlsN [3]int64

	opHour                         *groups // hour, operation
	del                            *groups // operation, requester
	events                         []event
	anonBucket, anonPrefix, anonIP *groups
	sigv2                          *groups // requester
	acl                            *groups // bucket, requester, operation
	tls                            *groups // tls label, requester, remote ip
	presign                        *groups // requester
	denyReq, denyIP                *groups
	errHour, errCode               *groups // hour; error code, status
	bytesIP, bytesReq, bytesKey    *groups
	scope                          *groups // bucket, bucket owner
	buf                            []byte
}

func newAcc(max, topN int) *acc {
	g := func() *groups { return newGroups(max) }
	return &acc{
		max: max, topN: topN, first: 1<<63 - 1,
		opHour: g(), del: g(), anonBucket: g(), anonPrefix: g(), anonIP: g(),
		sigv2: g(), acl: g(), tls: g(), presign: g(), denyReq: g(), denyIP: g(),
		errHour: g(), errCode: g(), bytesIP: g(), bytesReq: g(), bytesKey: g(), scope: g(),
	}
}

// key joins parts into a.buf.
func (a *acc) key(parts ...[]byte) []byte {
	a.buf = a.buf[:0]
	for i, p := range parts {
		if i > 0 {
			a.buf = append(a.buf, sep...)
		}
		a.buf = append(a.buf, p...)
	}
	return a.buf
}

// accFields are the fields add reads (and Time, always): what the report
// reads of converted output.
var accFields = []parse.Field{parse.Time, parse.Bucket, parse.BucketOwner, parse.Operation, parse.Requester,
	parse.RemoteIP, parse.HTTPStatus, parse.Key, parse.ErrorCode, parse.BytesSent, parse.SigV, parse.ACLRequired,
	parse.TLSVersion, parse.AuthType}

// val returns field f, or nil when absent.
func val(r *parse.Record, f parse.Field) []byte {
	v, _ := r.Value(f)
	return v
}

var (
	bSigV2       = []byte("SigV2")
	bYes         = []byte("Yes")
	bQueryString = []byte("QueryString")
	bSlowDown    = []byte("SlowDown")
	bREST        = []byte("REST.")
	bTLS10       = []byte("TLSv1")
	bTLS11       = []byte("TLSv1.1")
	bPlainHTTP   = []byte(plainHTTP)
)

// plainHTTP labels REST requests without TLS.
const plainHTTP = "plain HTTP"

// add aggregates one record whose time is t.
func (a *acc) add(r *parse.Record, t int64) {
	a.records++
	a.scope.get(a.key(val(r, parse.Bucket), val(r, parse.BucketOwner))).n++
	a.first = min(a.first, t)
	a.last = max(a.last, t)
	op := val(r, parse.Operation)
	requester := val(r, parse.Requester)
	ip := val(r, parse.RemoteIP)
	status, hasStatus := r.Int(parse.HTTPStatus)
	isOK := hasStatus && status < 400
	isDenied := hasStatus && status == 403
	hour := t - t%3600
	var hb [20]byte
	hourB := strconv.AppendInt(hb[:0], hour, 10)

	a.opHour.get(a.key(hourB, op)).n++

	switch string(op) {
	case opDelete, opBatchDelete, opExpire, opDeleteMark:
		switch string(op) {
		case opDelete:
			a.delN[0]++
		case opBatchDelete:
			a.delN[1]++
		default:
			a.delN[2]++
		}
		c := a.del.get(a.key(op, requester))
		c.n++
		if isOK {
			c.ok++
		}
		c.last = max(c.last, t)
		if !hasStatus {
			status = -1
		}
		a.events = append(a.events, event{t: t, op: string(op), bucket: string(val(r, parse.Bucket)),
			key: string(val(r, parse.Key)), requester: string(requester), remote: string(ip), status: status})
		if len(a.events) >= 4*a.topN+16 {
			a.events = trimEvents(a.events, a.topN)
		}
	}

	if requester == nil {
		k := val(r, parse.Key)
		prefix := prefixOf(k)
		for _, g := range [...]struct {
			g *groups
			k []byte
		}{{a.anonBucket, val(r, parse.Bucket)}, {a.anonPrefix, prefix}, {a.anonIP, ip}} {
			c := g.g.get(a.key(g.k))
			c.n++
			if isOK {
				c.ok++
			}
			if isDenied {
				c.denied++
			}
		}
	}

	if bytes.Equal(val(r, parse.SigV), bSigV2) {
		c := a.sigv2.get(a.key(requester))
		c.n++
		c.last = max(c.last, t)
	}
	if bytes.Equal(val(r, parse.ACLRequired), bYes) {
		a.acl.get(a.key(val(r, parse.Bucket), requester, op)).n++
	}
	tlsv := val(r, parse.TLSVersion)
	var tlsLabel []byte
	switch {
	case bytes.Equal(tlsv, bTLS10):
		tlsLabel = tlsv
		a.tlsN[0]++
	case bytes.Equal(tlsv, bTLS11):
		tlsLabel = tlsv
		a.tlsN[1]++
	case tlsv == nil && bytes.HasPrefix(op, bREST):
		tlsLabel = bPlainHTTP
		a.tlsN[2]++
	}
	if tlsLabel != nil {
		a.tls.get(a.key(tlsLabel, requester, ip)).n++
	}
	if bytes.Equal(val(r, parse.AuthType), bQueryString) {
		c := a.presign.get(a.key(requester))
		c.n++
		c.last = max(c.last, t)
	}
	if isDenied {
		a.denyReq.get(a.key(requester)).n++
		a.denyIP.get(a.key(ip)).n++
	}
	if hasStatus && status >= 500 {
		slow := bytes.Equal(val(r, parse.ErrorCode), bSlowDown)
		c := a.errHour.get(a.key(hourB))
		c.n++
		var sb [8]byte
		c2 := a.errCode.get(a.key(val(r, parse.ErrorCode), strconv.AppendInt(sb[:0], status, 10)))
		c2.n++
		if slow {
			c.slow++
			c2.slow++
		}
	}
	if sent, ok := r.Int(parse.BytesSent); ok && sent > 0 {
		for _, g := range [...]struct {
			g *groups
			k []byte
		}{{a.bytesIP, ip}, {a.bytesReq, requester}, {a.bytesKey, val(r, parse.Key)}} {
			c := g.g.get(a.key(g.k))
			c.n++
			c.bytes += sent
		}
	}
}

// prefixOf returns the first path segment of a key with its slash, the
// key itself when it has no slash, or nil for no key.
func prefixOf(k []byte) []byte {
	if i := bytes.IndexByte(k, '/'); i >= 0 {
		return k[:i+1]
	}
	return k
}

// trimEvents keeps the n newest events, newest first.
func trimEvents(ev []event, n int) []event {
	sort.Slice(ev, func(i, j int) bool {
		if ev[i].t != ev[j].t {
			return ev[i].t > ev[j].t
		}
		if ev[i].key != ev[j].key {
			return ev[i].key < ev[j].key
		}
		return ev[i].op < ev[j].op
	})
	if len(ev) > n {
		ev = ev[:n]
	}
	return ev
}

func (a *acc) merge(o *acc) {
	a.records += o.records
	for i := range a.delN {
		a.delN[i] += o.delN[i]
		a.tlsN[i] += o.tlsN[i]
	}
	a.first = min(a.first, o.first)
	a.last = max(a.last, o.last)
	for _, p := range [...][2]*groups{
		{a.opHour, o.opHour}, {a.del, o.del}, {a.anonBucket, o.anonBucket}, {a.anonPrefix, o.anonPrefix},
		{a.anonIP, o.anonIP}, {a.sigv2, o.sigv2}, {a.acl, o.acl}, {a.tls, o.tls}, {a.presign, o.presign},
		{a.denyReq, o.denyReq}, {a.denyIP, o.denyIP}, {a.errHour, o.errHour}, {a.errCode, o.errCode},
		{a.bytesIP, o.bytesIP}, {a.bytesReq, o.bytesReq}, {a.bytesKey, o.bytesKey}, {a.scope, o.scope},
	} {
		p[0].merge(p[1])
	}
	a.events = trimEvents(append(a.events, o.events...), a.topN)
}

// scopeOf returns the buckets and bucket owners the records came from,
// sorted, for the report's header.
func (a *acc) scopeOf() (buckets, owners []string) {
	b, o := map[string]bool{}, map[string]bool{}
	for k := range a.scope.m {
		if k == otherKey {
			continue
		}
		bucket, owner, _ := strings.Cut(k, sep)
		b[bucket], o[owner] = true, true
	}
	return sortedKeys(b), sortedKeys(o)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
