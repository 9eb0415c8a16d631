package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Section IDs, in report order.
const (
	SecActivity  = "activity"
	SecDeletions = "deletions"
	SecAnonymous = "anonymous"
	SecSigV2     = "sigv2"
	SecACL       = "acl-required"
	SecTLS       = "old-tls"
	SecPresigned = "presigned"
	SecDenied    = "access-denied"
	SecErrors    = "server-errors"
	SecTalkers   = "top-talkers"
)

// deleteOps lists the deletion operations as an SQL IN list.
const deleteOps = "('" + opDelete + "', '" + opBatchDelete + "', '" + opExpire + "', '" + opDeleteMark + "')"

const (
	sqlOK     = "sum(CASE WHEN httpstatus < 400 THEN 1 ELSE 0 END)"
	sqlDenied = "sum(CASE WHEN httpstatus = 403 THEN 1 ELSE 0 END)"
	sqlSlow   = "sum(CASE WHEN errorcode = 'SlowDown' THEN 1 ELSE 0 END)"
	sqlHour   = "date_trunc('hour', requestdatetime)"
	sqlTLS    = "coalesce(tlsversion, '" + plainHTTP + "')"
	whereTLS  = "(tlsversion IN ('TLSv1', 'TLSv1.1') OR (tlsversion IS NULL AND operation LIKE 'REST.%'))"
	// sqlPrefix is a key's top-level prefix, with its slash.
	sqlPrefix = "CASE WHEN key LIKE '%/%' THEN split_part(key, '/', 1) || '/' ELSE key END"
)

// builder turns the merged aggregates into sections.
type builder struct {
	a     *acc
	topN  int
	where string // the window condition, or ""
}

// sql assembles a statement over the table "logs" with the window added
// to cond.
func (b *builder) sql(sel, cond, group, order string) string {
	var s strings.Builder
	s.WriteString("SELECT " + sel + "\nFROM logs")
	var conds []string
	if cond != "" {
		conds = append(conds, cond)
	}
	if b.where != "" {
		conds = append(conds, b.where)
	}
	if len(conds) > 0 {
		s.WriteString("\nWHERE " + strings.Join(conds, "\n  AND "))
	}
	if group != "" {
		s.WriteString("\nGROUP BY " + group)
	}
	if order != "" {
		s.WriteString("\nORDER BY " + order)
	}
	return s.String()
}

// col helpers.
func cStr(name, label string) Column   { return Column{Name: name, Kind: "string", Label: label} }
func cInt(name, label string) Column   { return Column{Name: name, Kind: "int", Label: label} }
func cBytes(name, label string) Column { return Column{Name: name, Kind: "bytes", Label: label} }
func cTime(name, label string) Column  { return Column{Name: name, Kind: "time", Label: label} }

// dimCell is a dimension value as a cell: nil for NULL (absent).
func dimCell(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// table ranks g by score and builds a table whose rows are the dimension
// values followed by vals(counts).
func (b *builder) table(caption, sql string, cols []Column, g *groups, score func(*counts) int64, vals func(*counts) []any) Table {
	rows := g.ranked(score)
	t := Table{Caption: caption, SQL: sql, Columns: cols, Groups: int64(len(rows)), Approximate: g.overflow}
	ndim := len(cols) - len(vals(&counts{}))
	for i, r := range rows {
		if i == b.topN {
			break
		}
		cells := make([]any, 0, len(cols))
		for d := 0; d < ndim; d++ {
			switch {
			case len(r.dims) == 1 && r.dims[0] == otherKey:
				cells = append(cells, "(other)")
			case d < len(r.dims):
				cells = append(cells, dimCell(r.dims[d]))
			default:
				cells = append(cells, nil)
			}
		}
		cells = append(cells, vals(r.c)...)
		t.Rows = append(t.Rows, cells)
	}
	return t
}

func byN(c *counts) int64      { return c.n }
func byBytes(c *counts) int64  { return c.bytes }
func utc(unix int64) time.Time { return time.Unix(unix, 0).UTC() }

func sections(a *acc, cfg Config, rep *Report) []Section {
	a.events = trimEvents(a.events, cfg.TopN)
	b := &builder{a: a, topN: cfg.TopN, where: WhereWindow(cfg.Window)}
	return []Section{
		b.activity(rep), b.deletions(), b.anonymous(), b.sigv2(), b.aclRequired(), b.oldTLS(), b.presigned(),
		b.denied(), b.serverErrors(rep), b.talkers(),
	}
}

func (b *builder) deletions() Section {
	a := b.a
	del, batch, life := a.delN[0], a.delN[1], a.delN[2]
	who := b.table("Deletions by operation and requester",
		b.sql("operation, requester, count(*) AS requests, "+sqlOK+" AS succeeded, max(requestdatetime) AS last_seen",
			"operation IN "+deleteOps, "operation, requester", "requests DESC, operation, requester"),
		[]Column{cStr("operation", "Operation"), cStr("requester", "Requester"), cInt("requests", "Requests"),
			cInt("succeeded", "Succeeded"), cTime("last_seen", "Last seen")},
		a.del, byN, func(c *counts) []any { return []any{c.n, c.ok, utc(c.last)} })
	latest := Table{
		Caption: "Latest deletions",
		SQL: b.sql("requestdatetime, operation, bucket, key, requester, remoteip, httpstatus",
			"operation IN "+deleteOps, "", "requestdatetime DESC, key, operation\nLIMIT "+strconv.Itoa(b.topN)),
		Columns: []Column{cTime("requestdatetime", "Time"), cStr("operation", "Operation"), cStr("bucket", "Bucket"),
			cStr("key", "Key"), cStr("requester", "Requester"), cStr("remoteip", "Remote IP"), cInt("httpstatus", "Status")},
		Groups: del + batch + life,
	}
	for _, e := range a.events {
		var st any
		if e.status >= 0 {
			st = e.status
		}
		latest.Rows = append(latest.Rows, []any{utc(e.t), e.op, dimCell(e.bucket), dimCell(e.key), dimCell(e.requester), dimCell(e.remote), st})
	}
	return Section{
		ID: SecDeletions, Title: "Deletions",
		Question: "Who deleted which objects, when and from where: single DELETE requests, multi-object (batch) deletes and lifecycle expirations, counted separately.",
		Stats: []Stat{{Label: "DELETE requests", Value: del}, {Label: "Batch deletes (per object)", Value: batch},
			{Label: "Lifecycle expirations", Value: life}},
		Tables: []Table{who, latest},
	}
}

func (b *builder) anonymous() Section {
	a := b.a
	t := a.anonBucket.total()
	cols := func(dim Column) []Column {
		return []Column{dim, cInt("requests", "Requests"), cInt("succeeded", "Succeeded"), cInt("denied", "Denied (403)")}
	}
	vals := func(c *counts) []any { return []any{c.n, c.ok, c.denied} }
	sel := func(dim string) string {
		return dim + ", count(*) AS requests, " + sqlOK + " AS succeeded, " + sqlDenied + " AS denied"
	}
	bucket := b.table("Anonymous requests by bucket", b.sql(sel("bucket"), "requester IS NULL", "bucket", "requests DESC, bucket"),
		cols(cStr("bucket", "Bucket")), a.anonBucket, byN, vals)
	prefix := b.table("Anonymous requests by key prefix", b.sql(sel(sqlPrefix+" AS prefix"), "requester IS NULL", "1", "requests DESC, prefix"),
		cols(cStr("prefix", "Key prefix")), a.anonPrefix, byN, vals)
	prefix.Note = "The prefix is the key up to and including its first slash, or the whole key when it has none."
	ip := b.table("Anonymous requests by remote IP", b.sql(sel("remoteip"), "requester IS NULL", "remoteip", "requests DESC, remoteip"),
		cols(cStr("remoteip", "Remote IP")), a.anonIP, byN, vals)
	chart := barChart("Anonymous requests by bucket", "requests", bucket, 0,
		[]string{"Succeeded", "Denied (403)", "Other"},
		func(c *counts) []int64 { return []int64{c.ok, c.denied, c.n - c.ok - c.denied} }, a.anonBucket, false)
	return Section{
		ID: SecAnonymous, Title: "Anonymous access",
		Question: "Requests without credentials (requester is NULL), by bucket, key prefix and client IP: which succeeded and which were denied.",
		Stats: []Stat{{Label: "Anonymous requests", Value: t.n}, {Label: "Succeeded", Value: t.ok},
			{Label: "Denied (403)", Value: t.denied}},
		Charts: []Chart{chart},
		Tables: []Table{bucket, prefix, ip},
	}
}

func (b *builder) sigv2() Section {
	a := b.a
	t := b.table("Requesters signing with SigV2", b.sql("requester, count(*) AS requests, max(requestdatetime) AS last_seen",
		"sigv = 'SigV2'", "requester", "requests DESC, requester"),
		[]Column{cStr("requester", "Requester"), cInt("requests", "Requests"), cTime("last_seen", "Last seen")},
		a.sigv2, byN, func(c *counts) []any { return []any{c.n, utc(c.last)} })
	return Section{
		ID: SecSigV2, Title: "Signature Version 2",
		Question: "Requesters still signing with the deprecated Signature Version 2, which S3 no longer accepts on new buckets.",
		Stats:    []Stat{{Label: "SigV2 requests", Value: a.sigv2.total().n}, {Label: "Requesters", Value: t.Groups}},
		Tables:   []Table{t},
	}
}

func (b *builder) aclRequired() Section {
	a := b.a
	t := b.table("Requests that needed an ACL", b.sql("bucket, requester, operation, count(*) AS requests",
		"aclrequired = 'Yes'", "bucket, requester, operation", "requests DESC, bucket, requester, operation"),
		[]Column{cStr("bucket", "Bucket"), cStr("requester", "Requester"), cStr("operation", "Operation"), cInt("requests", "Requests")},
		a.acl, byN, func(c *counts) []any { return []any{c.n} })
	return Section{
		ID: SecACL, Title: "Requests that required an ACL",
		Question: "Requests that an access control list authorised (aclRequired = Yes): the list to check before disabling ACLs (Object Ownership: bucket owner enforced).",
		Stats:    []Stat{{Label: "ACL-authorised requests", Value: a.acl.total().n}},
		Tables:   []Table{t},
	}
}

func (b *builder) oldTLS() Section {
	a := b.a
	v10, v11, plain := a.tlsN[0], a.tlsN[1], a.tlsN[2]
	t := b.table("Clients below TLS 1.2 or on plain HTTP", b.sql(sqlTLS+" AS tls, requester, remoteip, count(*) AS requests",
		whereTLS, sqlTLS+", requester, remoteip", "requests DESC, tls, requester, remoteip"),
		[]Column{cStr("tls", "TLS"), cStr("requester", "Requester"), cStr("remoteip", "Remote IP"), cInt("requests", "Requests")},
		a.tls, byN, func(c *counts) []any { return []any{c.n} })
	t.Note = "Plain HTTP is a REST request logged without a TLS version (logs written before 2019 have no TLS field and count here too)."
	return Section{
		ID: SecTLS, Title: "Old TLS and plain HTTP",
		Question: "Clients connecting with TLS 1.0 or 1.1, or without TLS at all: they break when TLS 1.2 is enforced (aws:SecureTransport, s3:TlsVersion).",
		Stats:    []Stat{{Label: "TLS 1.0", Value: v10}, {Label: "TLS 1.1", Value: v11}, {Label: "Plain HTTP", Value: plain}},
		Tables:   []Table{t},
	}
}

func (b *builder) presigned() Section {
	a := b.a
	t := b.table("Presigned-URL requests by requester", b.sql("requester, count(*) AS requests, max(requestdatetime) AS last_seen",
		"authtype = 'QueryString'", "requester", "requests DESC, requester"),
		[]Column{cStr("requester", "Signed by"), cInt("requests", "Requests"), cTime("last_seen", "Last seen")},
		a.presign, byN, func(c *counts) []any { return []any{c.n, utc(c.last)} })
	return Section{
		ID: SecPresigned, Title: "Presigned URLs",
		Question: "Requests authenticated by a query string (presigned URLs), by the principal whose credentials signed them.",
		Stats:    []Stat{{Label: "Presigned requests", Value: a.presign.total().n}, {Label: "Signers", Value: t.Groups}},
		Tables:   []Table{t},
	}
}

func (b *builder) denied() Section {
	a := b.a
	req := b.table("Access denied by requester", b.sql("requester, count(*) AS requests", "httpstatus = 403", "requester", "requests DESC, requester"),
		[]Column{cStr("requester", "Requester"), cInt("requests", "Requests")}, a.denyReq, byN, func(c *counts) []any { return []any{c.n} })
	ip := b.table("Access denied by remote IP", b.sql("remoteip, count(*) AS requests", "httpstatus = 403", "remoteip", "requests DESC, remoteip"),
		[]Column{cStr("remoteip", "Remote IP"), cInt("requests", "Requests")}, a.denyIP, byN, func(c *counts) []any { return []any{c.n} })
	chart := barChart("Access denied by requester", "requests", req, 0, []string{"Denied (403)"},
		func(c *counts) []int64 { return []int64{c.n} }, a.denyReq, false)
	return Section{
		ID: SecDenied, Title: "Access denied",
		Question: "Requests refused with HTTP 403, by requester and by client IP: misconfigured clients, or someone probing.",
		Stats:    []Stat{{Label: "403 responses", Value: a.denyReq.total().n}, {Label: "Requesters", Value: req.Groups}, {Label: "IPs", Value: ip.Groups}},
		Charts:   []Chart{chart},
		Tables:   []Table{req, ip},
	}
}

func (b *builder) serverErrors(rep *Report) Section {
	a := b.a
	tot := a.errHour.total()
	codes := b.table("Server errors by error code", b.sql("errorcode, httpstatus, count(*) AS requests, "+sqlSlow+" AS slowdown",
		"httpstatus >= 500", "errorcode, httpstatus", "requests DESC, errorcode, httpstatus"),
		[]Column{cStr("errorcode", "Error code"), cStr("httpstatus", "Status"), cInt("requests", "Requests"), cInt("slowdown", "SlowDown")},
		a.errCode, byN, func(c *counts) []any { return []any{c.n, c.slow} })
	for _, r := range codes.Rows { // the status dimension is a number
		if s, ok := r[1].(string); ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				r[1] = n
			}
		}
	}
	codes.Columns[1].Kind = "int"
	hours := b.table("Worst hours for server errors", b.sql(sqlHour+" AS hour, count(*) AS errors, "+sqlSlow+" AS slowdown",
		"httpstatus >= 500", sqlHour, "errors DESC, hour"),
		[]Column{cTime("hour", "Hour"), cInt("errors", "5xx errors"), cInt("slowdown", "SlowDown")},
		a.errHour, byN, func(c *counts) []any { return []any{c.n, c.slow} })
	hourCells(&hours)
	chart := timeChart("Server errors over time", rep, a.errHour, []string{"SlowDown (503)", "Other 5xx"},
		func(dims []string, c *counts) (int64, []int64) {
			h, _ := strconv.ParseInt(dims[0], 10, 64)
			return h, []int64{c.slow, c.n - c.slow}
		})
	return Section{
		ID: SecErrors, Title: "Server errors and throttling",
		Question: "HTTP 5xx responses over time, with throttling (503 SlowDown) apart: request rates above S3's per-prefix limits, or S3-side failures.",
		Stats:    []Stat{{Label: "5xx responses", Value: tot.n}, {Label: "SlowDown", Value: tot.slow}},
		Charts:   []Chart{chart},
		Tables:   []Table{codes, hours},
	}
}

// hourCells turns the first column of t, an hour as Unix seconds in text,
// into a time.
func hourCells(t *Table) {
	for _, r := range t.Rows {
		if s, ok := r[0].(string); ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				r[0] = utc(n)
			}
		}
	}
}

func (b *builder) talkers() Section {
	a := b.a
	vals := func(c *counts) []any { return []any{c.bytes, c.n} }
	mk := func(caption, dim string, col Column, g *groups) Table {
		return b.table(caption, b.sql(dim+", sum(bytessent) AS bytes_sent, count(*) AS requests", "bytessent > 0", dim, "bytes_sent DESC, "+dim),
			[]Column{col, cBytes("bytes_sent", "Bytes sent"), cInt("requests", "Requests")}, g, byBytes, vals)
	}
	ip := mk("Top remote IPs by bytes sent", "remoteip", cStr("remoteip", "Remote IP"), a.bytesIP)
	req := mk("Top requesters by bytes sent", "requester", cStr("requester", "Requester"), a.bytesReq)
	key := mk("Top keys by bytes sent", "key", cStr("key", "Key"), a.bytesKey)
	chart := barChart("Top remote IPs by bytes sent", "bytes", ip, 0, []string{"Bytes sent"},
		func(c *counts) []int64 { return []int64{c.bytes} }, a.bytesIP, true)
	return Section{
		ID: SecTalkers, Title: "Top talkers",
		Question: "Who downloads the most: bytes sent by client IP, requester and key (data transfer cost and possible exfiltration).",
		Stats:    []Stat{{Label: "Bytes sent", Value: a.bytesIP.total().bytes, Bytes: true}, {Label: "Remote IPs", Value: ip.Groups}},
		Charts:   []Chart{chart},
		Tables:   []Table{ip, req, key},
	}
}

func (b *builder) activity(rep *Report) Section {
	a := b.a
	ops := newGroups(1 << 30)
	hoursG := newGroups(1 << 30)
	for k, c := range a.opHour.m {
		h, op, _ := strings.Cut(k, sep)
		if k == otherKey {
			h, op = "", "(other)"
		}
		ops.get([]byte(op)).merge(c)
		hoursG.get([]byte(h)).merge(c)
	}
	opT := b.table("Requests by operation", b.sql("operation, count(*) AS requests", "", "operation", "requests DESC, operation"),
		[]Column{cStr("operation", "Operation"), cInt("requests", "Requests")}, ops, byN, func(c *counts) []any { return []any{c.n} })
	hourT := b.table("Busiest hours", b.sql(sqlHour+" AS hour, count(*) AS requests", "", sqlHour, "requests DESC, hour"),
		[]Column{cTime("hour", "Hour"), cInt("requests", "Requests")}, hoursG, byN, func(c *counts) []any { return []any{c.n} })
	hourCells(&hourT)
	// The chart stacks the five most frequent operations and the rest.
	const stack = 5
	top := map[string]int{}
	var names []string
	for i, r := range ops.ranked(byN) {
		if i == stack {
			break
		}
		top[r.dims[0]] = i
		names = append(names, shortOp(r.dims[0]))
	}
	if len(ops.m) > stack {
		names = append(names, "Other")
	}
	chart := timeChart("Requests per hour by operation", rep, a.opHour, names,
		func(dims []string, c *counts) (int64, []int64) {
			h, _ := strconv.ParseInt(dims[0], 10, 64)
			v := make([]int64, len(names))
			op := ""
			if len(dims) > 1 {
				op = dims[1]
			}
			if i, ok := top[op]; ok {
				v[i] = c.n
			} else {
				v[len(v)-1] = c.n
			}
			return h, v
		})
	chart.Title = "Requests per " + chart.Bucket + " by operation"
	return Section{
		ID: SecActivity, Title: "Requests over time",
		Question: "How many requests of which operation, hour by hour: the shape of the traffic the other sections sit in.",
		Stats:    []Stat{{Label: "Requests", Value: rep.Records}, {Label: "Operations", Value: opT.Groups}, {Label: "Hours with traffic", Value: hourT.Groups}},
		Charts:   []Chart{chart},
		Tables:   []Table{opT, hourT},
	}
}

// shortOp drops the REST. prefix of an operation for legends.
func shortOp(op string) string { return strings.TrimPrefix(op, "REST.") }

// barChart draws the rows of t (its first TopN groups, dimension dim) as
// bars, stacked by series.
func barChart(title, unit string, t Table, dim int, series []string, vals func(*counts) []int64, g *groups, isBytes bool) Chart {
	c := Chart{Title: title, Kind: "bars", Bytes: isBytes}
	for _, s := range series {
		c.Series = append(c.Series, Series{Name: s})
	}
	keyOf := func(r []any) string {
		if s, ok := r[dim].(string); ok {
			return s
		}
		return ""
	}
	for _, r := range t.Rows {
		k := keyOf(r)
		label := k
		if label == "" {
			label = cellText(t.Columns[dim], nil)
		}
		cnt, ok := g.m[k]
		if !ok {
			if k == "(other)" {
				cnt = g.m[otherKey]
			}
			if cnt == nil {
				continue
			}
		}
		c.Labels = append(c.Labels, label)
		for i, v := range vals(cnt) {
			c.Series[i].Values = append(c.Series[i].Values, v)
		}
	}
	c.Desc = fmt.Sprintf("Bar chart of %s, %d bars; the table below gives the exact numbers.", strings.ToLower(title), len(c.Labels))
	if len(c.Labels) > 0 {
		var top int64
		for _, s := range c.Series {
			top += s.Values[0]
		}
		c.Desc = fmt.Sprintf("Bar chart of %s. Largest: %s with %s %s. The table below gives the exact numbers.",
			strings.ToLower(title), c.Labels[0], fmtNum(top, isBytes), unit)
	}
	return c
}

// timeChart buckets g (keyed by hour first) by hour, or by day when the
// report spans more than 7 days, with one stacked series per name.
func timeChart(title string, rep *Report, g *groups, names []string, vals func(dims []string, c *counts) (int64, []int64)) Chart {
	c := Chart{Title: title, Kind: "time", Bucket: "hour"}
	width := int64(3600)
	if rep.Records > 0 && rep.Last.Sub(rep.First) > 7*24*time.Hour {
		c.Bucket, width = "day", 86400
	}
	for _, n := range names {
		c.Series = append(c.Series, Series{Name: n})
	}
	if rep.Records == 0 {
		c.Desc = "No requests in the report window."
		return c
	}
	first := rep.First.Unix() - rep.First.Unix()%width
	last := rep.Last.Unix() - rep.Last.Unix()%width
	n := int((last-first)/width) + 1
	for i := 0; i < n; i++ {
		c.Times = append(c.Times, first+int64(i)*width)
	}
	for i := range c.Series {
		c.Series[i].Values = make([]int64, n)
	}
	for k, cnt := range g.m {
		if k == otherKey {
			continue
		}
		h, v := vals(strings.Split(k, sep), cnt)
		i := int((h - h%width - first) / width)
		if i < 0 || i >= n {
			continue
		}
		for s := range v {
			c.Series[s].Values[i] += v[s]
		}
	}
	var peak, peakAt, sum int64
	for i := range c.Times {
		var t int64
		for _, s := range c.Series {
			t += s.Values[i]
		}
		sum += t
		if t > peak {
			peak, peakAt = t, c.Times[i]
		}
	}
	layout := "2006-01-02 15:04 UTC"
	if c.Bucket == "day" {
		layout = "2006-01-02"
	}
	c.Desc = fmt.Sprintf("Stacked bar chart, one bar per %s from %s to %s, series %s. Total %d; peak %d in the %s starting %s.",
		c.Bucket, utc(first).Format(layout), utc(last).Format(layout), strings.Join(names, ", "), sum, peak, c.Bucket, utc(peakAt).Format(layout))
	return c
}

// fmtNum formats n with thousands separators, or as a byte size.
func fmtNum(n int64, isBytes bool) string {
	if isBytes {
		return fmtBytes(n)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// fmtBytes formats a byte count in binary units.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
