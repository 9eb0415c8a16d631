package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/query"
	"github.com/s3logs/s3logs/sink"
)

// genCfg is a data set with every kind of record the report looks at
// (deletions, anonymous, SigV2, ACLs, old TLS, presigned, 403, 5xx) and
// real-world traps, over two buckets and four days.
var genCfg = gen.Config{
	Seed: 7, Objects: 40, LinesPerObject: 120,
	Start: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Span: 4 * 24 * time.Hour,
	Buckets:  []string{"bucket-a", "bucket-b"},
	TrapRate: 0.05,
}

// dataset writes genCfg to a directory and returns it with the structured
// records.
func dataset(t *testing.T) (string, []gen.Record) {
	t.Helper()
	dir := t.TempDir()
	if _, err := gen.WriteDir(context.Background(), genCfg, dir); err != nil {
		t.Fatal(err)
	}
	objs, err := gen.All(genCfg)
	if err != nil {
		t.Fatal(err)
	}
	var recs []gen.Record
	for _, o := range objs {
		recs = append(recs, o.Records...)
	}
	return dir, recs
}

// want is an expected table: group key (dimension values joined by "|",
// NULL as "NULL") → values, as text.
type want map[string][]string

// expect computes the expected tables from the generator's records,
// independently of the report's aggregation.
func expect(recs []gen.Record, from, to time.Time) (n int64, tables map[string]want) {
	tables = map[string]want{}
	add := func(table string, dims []string, vals ...int64) {
		m := tables[table]
		if m == nil {
			m = want{}
			tables[table] = m
		}
		k := strings.Join(dims, "|")
		cur := m[k]
		if cur == nil {
			cur = make([]string, len(vals))
			for i := range cur {
				cur[i] = "0"
			}
		}
		for i, v := range vals {
			c, _ := strconv.ParseInt(cur[i], 10, 64)
			cur[i] = strconv.FormatInt(c+v, 10)
		}
		m[k] = cur
	}
	last := map[string]time.Time{}
	setLast := func(table string, dims []string, t time.Time) {
		k := table + "/" + strings.Join(dims, "|")
		if t.After(last[k]) {
			last[k] = t
		}
	}
	v := func(r *gen.Record, f parse.Field) string {
		s, ok := r.Value(f)
		if !ok {
			return "NULL"
		}
		return s
	}
	b2i := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	for i := range recs {
		r := &recs[i]
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		n++
		op, req, ip := r.Operation, v(r, parse.Requester), v(r, parse.RemoteIP)
		st, hasSt := r.Int(parse.HTTPStatus)
		ok := hasSt && st < 400
		denied := hasSt && st == 403
		hour := r.Time.Truncate(time.Hour).Format(time.RFC3339)
		add("ops", []string{op}, 1)
		add("hours", []string{hour}, 1)
		switch op {
		case "REST.DELETE.OBJECT", "BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT", "S3.CREATE.DELETEMARKER":
			add("del", []string{op, req}, 1, b2i(ok))
			setLast("del", []string{op, req}, r.Time)
		}
		if req == "NULL" {
			key := v(r, parse.Key)
			prefix := key
			if i := strings.IndexByte(key, '/'); i >= 0 {
				prefix = key[:i+1]
			}
			add("anonBucket", []string{r.Bucket}, 1, b2i(ok), b2i(denied))
			add("anonPrefix", []string{prefix}, 1, b2i(ok), b2i(denied))
			add("anonKey", []string{key}, 1, b2i(ok), b2i(denied))
			add("anonIP", []string{ip}, 1, b2i(ok), b2i(denied))
		}
		if v(r, parse.SigV) == "SigV2" {
			add("sigv2", []string{req}, 1)
			setLast("sigv2", []string{req}, r.Time)
		}
		if v(r, parse.ACLRequired) == "Yes" {
			add("acl", []string{r.Bucket, req, op}, 1)
		}
		switch tls := v(r, parse.TLSVersion); {
		case tls == "TLSv1" || tls == "TLSv1.1":
			add("tls", []string{tls, req, ip}, 1)
		case tls == "NULL" && strings.HasPrefix(op, "REST."):
			add("tls", []string{"plain HTTP", req, ip}, 1)
		}
		if v(r, parse.AuthType) == "QueryString" {
			add("presign", []string{req}, 1)
			setLast("presign", []string{req}, r.Time)
		}
		if denied {
			add("denyReq", []string{req}, 1)
			add("denyIP", []string{ip}, 1)
		}
		if hasSt && st >= 500 {
			slow := b2i(r.ErrorCode == "SlowDown")
			add("errCode", []string{v(r, parse.ErrorCode), strconv.FormatInt(st, 10)}, 1, slow)
			add("errHour", []string{hour}, 1, slow)
		}
		if sent, has := r.Int(parse.BytesSent); has && sent > 0 {
			add("bytesIP", []string{ip}, sent, 1)
			add("bytesReq", []string{req}, sent, 1)
			add("bytesKey", []string{v(r, parse.Key)}, sent, 1)
		}
	}
	// Append the last-seen times.
	for _, tb := range []string{"del", "sigv2", "presign"} {
		for k, vals := range tables[tb] {
			tables[tb][k] = append(vals, last[tb+"/"+k].Format(time.RFC3339))
		}
	}
	return n, tables
}

// cellString formats a report cell like the query tests do.
func cellString(c any) string {
	switch x := c.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(c)
}

// got turns a table with ndim dimension columns into the want shape.
func got(t Table, ndim int) want {
	m := want{}
	for _, r := range t.Rows {
		var dims, vals []string
		for i, c := range r {
			if i < ndim {
				dims = append(dims, cellString(c))
			} else {
				vals = append(vals, cellString(c))
			}
		}
		m[strings.Join(dims, "|")] = vals
	}
	return m
}

func findTable(t *testing.T, rep *Report, sec, caption string) Table {
	t.Helper()
	for _, s := range rep.Sections {
		if s.ID != sec {
			continue
		}
		for _, tb := range s.Tables {
			if tb.Caption == caption {
				return tb
			}
		}
	}
	t.Fatalf("no table %q in section %s", caption, sec)
	return Table{}
}

func findStat(t *testing.T, rep *Report, sec, label string) int64 {
	t.Helper()
	for _, s := range rep.Sections {
		if s.ID == sec {
			for _, st := range s.Stats {
				if st.Label == label {
					return st.Value
				}
			}
		}
	}
	t.Fatalf("no stat %q in section %s", label, sec)
	return 0
}

func diff(t *testing.T, name string, got, want want) {
	t.Helper()
	if len(want) == 0 {
		t.Errorf("%s: expected data is empty; the data set does not exercise it", name)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing row %s = %v", name, k, w)
			continue
		}
		if strings.Join(g, ",") != strings.Join(w, ",") {
			t.Errorf("%s: row %s = %v, want %v", name, k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected row %s = %v", name, k, g)
		}
	}
}

// tableCases maps report tables to the expected tables and their number
// of dimension columns.
var tableCases = []struct {
	sec, caption, want string
	ndim               int
}{
	{SecActivity, "Requests by operation", "ops", 1},
	{SecActivity, "Busiest hours", "hours", 1},
	{SecDeletions, "Deletions by operation and requester", "del", 2},
	{SecAnonymous, "Anonymous requests by bucket", "anonBucket", 1},
	{SecAnonymous, "Anonymous requests by key prefix", "anonPrefix", 1},
	{SecAnonymous, "Anonymous requests by remote IP", "anonIP", 1},
	{SecSigV2, "Requesters signing with SigV2", "sigv2", 1},
	{SecACL, "Requests that needed an ACL", "acl", 3},
	{SecTLS, "Clients below TLS 1.2 or on plain HTTP", "tls", 3},
	{SecPresigned, "Presigned-URL requests by requester", "presign", 1},
	{SecDenied, "Access denied by requester", "denyReq", 1},
	{SecDenied, "Access denied by remote IP", "denyIP", 1},
	{SecErrors, "Server errors by error code", "errCode", 2},
	{SecErrors, "Worst hours for server errors", "errHour", 1},
	{SecTalkers, "Top remote IPs by bytes sent", "bytesIP", 1},
	{SecTalkers, "Top requesters by bytes sent", "bytesReq", 1},
	{SecTalkers, "Top keys by bytes sent", "bytesKey", 1},
}

// lakeOf converts the logs in dir to Parquet partitioned by day (convert's
// default) and returns the output directory: the report must answer the
// same over the text and over the lake (SPEC §8).
func lakeOf(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lake")
	dest, err := sink.NewLocalDestination(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Convert(context.Background(), dest, convert.Options{RowGroupRows: 1000}, pipeline.Config{}, []string{dir}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSections compares every table of the report with answers computed
// from the generator's structured records, over all records and over a
// window that cuts objects in the middle (pruning plus exact filtering),
// over the log text and over its lake.
func TestSections(t *testing.T) {
	logs, recs := dataset(t)
	windows := []pipeline.Window{
		{},
		{From: genCfg.Start.Add(30*time.Hour + 17*time.Minute), To: genCfg.Start.Add(70 * time.Hour)},
	}
	for _, src := range []struct{ name, dir string }{{"text", logs}, {"lake", lakeOf(t, logs)}} {
		dir := src.dir
		for _, w := range windows {
			t.Run(fmt.Sprintf("%s/window=%s..%s", src.name, w.From.Format(time.RFC3339), w.To.Format(time.RFC3339)), func(t *testing.T) {
				from, to := time.Unix(-1<<40, 0), time.Unix(1<<40, 0)
				if !w.From.IsZero() {
					from, to = w.From, w.To
				}
				n, tables := expect(recs, from, to)
				rep, st, err := Build(context.Background(), Config{Window: w, TopN: 1 << 20, Pipeline: pipeline.Config{Workers: 3, BlockSize: 16 << 10}}, []string{dir})
				if err != nil {
					t.Fatal(err)
				}
				if rep.Records != n || n == 0 {
					t.Errorf("Records = %d, want %d (> 0)", rep.Records, n)
				}
				if rep.Rejected != 0 {
					t.Errorf("Rejected = %d, want 0", rep.Rejected)
				}
				if w.From.IsZero() && st.SkippedTime.Load() != 0 {
					t.Errorf("unbounded window skipped %d objects", st.SkippedTime.Load())
				}
				if !w.From.IsZero() && st.SkippedTime.Load() == 0 {
					t.Errorf("bounded window pruned no objects")
				}
				for _, c := range tableCases {
					tb := findTable(t, rep, c.sec, c.caption)
					exp := tables[c.want]
					if int64(len(exp)) != tb.Groups {
						t.Errorf("%s: Groups = %d, want %d", c.caption, tb.Groups, len(exp))
					}
					// The error-code status and hour columns are formatted like the
					// expectations (int and RFC 3339) by cellString.
					diff(t, c.caption, got(tb, c.ndim), exp)
				}
				// Headline numbers.
				var del, batch, life int64
				for k, v := range tables["del"] {
					c, _ := strconv.ParseInt(v[0], 10, 64)
					switch {
					case strings.HasPrefix(k, "REST.DELETE.OBJECT|"):
						del += c
					case strings.HasPrefix(k, "BATCH.DELETE.OBJECT|"):
						batch += c
					default:
						life += c
					}
				}
				if g := findStat(t, rep, SecDeletions, "DELETE requests"); g != del {
					t.Errorf("DELETE requests = %d, want %d", g, del)
				}
				if g := findStat(t, rep, SecDeletions, "Batch deletes (per object)"); g != batch {
					t.Errorf("batch deletes = %d, want %d", g, batch)
				}
				if g := findStat(t, rep, SecDeletions, "Lifecycle expirations"); g != life {
					t.Errorf("lifecycle = %d, want %d", g, life)
				}
				tlsN := map[string]int64{}
				for k, v := range tables["tls"] {
					c, _ := strconv.ParseInt(v[0], 10, 64)
					tlsN[strings.SplitN(k, "|", 2)[0]] += c
				}
				for label, key := range map[string]string{"TLS 1.0": "TLSv1", "TLS 1.1": "TLSv1.1", "Plain HTTP": "plain HTTP"} {
					if g := findStat(t, rep, SecTLS, label); g != tlsN[key] || g == 0 {
						t.Errorf("%s = %d, want %d (> 0)", label, g, tlsN[key])
					}
				}
				var bytesSent int64
				for _, v := range tables["bytesIP"] {
					c, _ := strconv.ParseInt(v[0], 10, 64)
					bytesSent += c
				}
				if g := findStat(t, rep, SecTalkers, "Bytes sent"); g != bytesSent {
					t.Errorf("bytes sent = %d, want %d", g, bytesSent)
				}
				checkLatest(t, rep, recs, from, to)
				checkTimeCharts(t, rep, tables)
			})
		}
	}
}

// checkLatest compares the latest-deletions list with the newest deletion
// records.
func checkLatest(t *testing.T, rep *Report, recs []gen.Record, from, to time.Time) {
	t.Helper()
	var times []string
	for _, r := range recs {
		switch r.Operation {
		case "REST.DELETE.OBJECT", "BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT", "S3.CREATE.DELETEMARKER":
			if !r.Time.Before(from) && r.Time.Before(to) {
				times = append(times, r.Time.Format(time.RFC3339)+" "+r.Operation+" "+r.Key)
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(times)))
	tb := findTable(t, rep, SecDeletions, "Latest deletions")
	if int64(len(times)) != tb.Groups || len(tb.Rows) != len(times) {
		t.Fatalf("latest deletions: %d rows of %d, want %d", len(tb.Rows), tb.Groups, len(times))
	}
	var gotTimes []string
	for _, r := range tb.Rows {
		gotTimes = append(gotTimes, cellString(r[0])+" "+cellString(r[1])+" "+cellString(r[3]))
	}
	sort.Sort(sort.Reverse(sort.StringSlice(gotTimes)))
	if strings.Join(gotTimes, "\n") != strings.Join(times, "\n") {
		t.Errorf("latest deletions differ:\n got %v\nwant %v", gotTimes[:min(3, len(gotTimes))], times[:min(3, len(times))])
	}
}

// checkTimeCharts checks that the charts' buckets add up to the hourly
// totals.
func checkTimeCharts(t *testing.T, rep *Report, tables map[string]want) {
	t.Helper()
	sum := func(w want, col int) (s int64) {
		for _, v := range w {
			c, _ := strconv.ParseInt(v[col], 10, 64)
			s += c
		}
		return s
	}
	for _, c := range []struct {
		sec  string
		want int64
	}{{SecActivity, sum(tables["hours"], 0)}, {SecErrors, sum(tables["errHour"], 0)}} {
		for _, s := range rep.Sections {
			if s.ID != c.sec {
				continue
			}
			var g int64
			for _, ser := range s.Charts[0].Series {
				for _, v := range ser.Values {
					g += v
				}
			}
			if g != c.want {
				t.Errorf("%s chart sums to %d, want %d", c.sec, g, c.want)
			}
		}
	}
}

// capture keeps a query's rows as text, NULL as "NULL".
type capture struct{ rows [][]string }

func (c *capture) Begin([]query.ResultColumn) error { return nil }
func (c *capture) End() error                       { return nil }
func (c *capture) WriteRow(row []query.Value) error {
	r := make([]string, len(row))
	for i, v := range row {
		switch {
		case v.IsNull():
			r[i] = "NULL"
		case v.Kind == query.KindTime:
			r[i] = v.Time().UTC().Format(time.RFC3339)
		default:
			r[i] = v.String()
		}
	}
	c.rows = append(c.rows, r)
	return nil
}

// TestSQLAgrees runs the SQL each table shows through the query engine and
// compares its rows with the table: the report is auditable only if its
// SQL reproduces its numbers.
func TestSQLAgrees(t *testing.T) {
	logs, _ := dataset(t)
	for _, src := range []struct{ name, dir string }{{"text", logs}, {"lake", lakeOf(t, logs)}} {
		t.Run(src.name, func(t *testing.T) { sqlAgrees(t, src.dir) })
	}
}

// sqlAgrees checks that the SQL of every table of the report over dir
// gives the table's rows with s3logs query over dir.
func sqlAgrees(t *testing.T, dir string) {
	w := pipeline.Window{From: genCfg.Start.Add(20 * time.Hour), To: genCfg.Start.Add(80 * time.Hour)}
	rep, _, err := Build(context.Background(), Config{Window: w, TopN: 1 << 20}, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	checked, tables := 0, 0
	for _, s := range rep.Sections {
		for _, tb := range s.Tables {
			tables++
			t.Run(tb.Caption, func(t *testing.T) {
				p, err := query.Compile(tb.SQL, query.Options{})
				if err != nil {
					t.Fatalf("Compile: %v\n%s", err, tb.SQL)
				}
				var c capture
				if _, err := p.Run(context.Background(), pipeline.Config{}, []string{dir}, &c, query.RunOptions{}); err != nil {
					t.Fatal(err)
				}
				if len(c.rows) != len(tb.Rows) || len(c.rows) == 0 {
					t.Fatalf("query returned %d rows, table has %d (want equal, > 0)\n%s", len(c.rows), len(tb.Rows), tb.SQL)
				}
				var g, q []string
				for i, r := range tb.Rows {
					cells := make([]string, len(r))
					for j, x := range r {
						cells[j] = cellString(x)
					}
					g = append(g, strings.Join(cells, "|"))
					q = append(q, strings.Join(c.rows[i], "|"))
				}
				// Both are ordered by the same ORDER BY; ties in the report are
				// broken the same way except for NULL placement, so compare as
				// sets and check the leading row separately.
				if g[0] != q[0] && !strings.Contains(g[0], "NULL") {
					t.Errorf("first row: table %s, query %s", g[0], q[0])
				}
				sort.Strings(g)
				sort.Strings(q)
				for i := range g {
					if g[i] != q[i] {
						t.Errorf("row %d: table %s, query %s", i, g[i], q[i])
						break
					}
				}
				checked++
			})
		}
	}
	if checked != tables || checked < 16 {
		t.Errorf("checked %d of %d tables' SQL, want every table", checked, tables)
	}
}

// TestBoundedGroups checks that past MaxGroups the rows are marked
// approximate while the totals stay exact.
func TestBoundedGroups(t *testing.T) {
	dir, recs := dataset(t)
	full, _, err := Build(context.Background(), Config{TopN: 1 << 20}, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	small, _, err := Build(context.Background(), Config{TopN: 5, MaxGroups: 8, Pipeline: pipeline.Config{Workers: 2}}, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if small.Records != int64(len(recs)) || full.Records != int64(len(recs)) {
		t.Fatalf("records: %d and %d, want %d", small.Records, full.Records, len(recs))
	}
	for i, s := range full.Sections {
		for j, st := range s.Stats {
			if g := small.Sections[i].Stats[j]; g.Label == st.Label && g.Label != "Requesters" && g.Label != "Signers" &&
				g.Label != "IPs" && g.Label != "Remote IPs" && g.Label != "Operations" && g.Label != "Hours with traffic" && g.Value != st.Value {
				t.Errorf("%s / %s = %d with bounded groups, want %d", s.ID, st.Label, g.Value, st.Value)
			}
		}
	}
	keys := findTable(t, small, SecTalkers, "Top keys by bytes sent")
	if !keys.Approximate || len(keys.Rows) != 5 {
		t.Errorf("top keys: approximate %v with %d rows, want approximate with 5", keys.Approximate, len(keys.Rows))
	}
	if fk := findTable(t, full, SecTalkers, "Top keys by bytes sent"); fk.Approximate {
		t.Errorf("full run marked approximate")
	}
}

// TestFormats checks the Markdown and JSON renderings carry the sections,
// numbers and SQL, and HTML has no external references.
func TestFormats(t *testing.T) {
	rep, _, err := Build(context.Background(), Config{Now: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)}, []string{"../examples/logs"})
	if err != nil {
		t.Fatal(err)
	}
	// examples/README.md: 143 SigV2 records of legacy-backup.
	sig := findTable(t, rep, SecSigV2, "Requesters signing with SigV2")
	if len(sig.Rows) != 1 || sig.Rows[0][0] != "arn:aws:iam::123456789012:user/legacy-backup" || sig.Rows[0][1] != int64(143) {
		t.Errorf("SigV2 rows = %v, want legacy-backup with 143", sig.Rows)
	}
	var md, js, html bytes.Buffer
	for _, f := range []struct {
		format string
		buf    *bytes.Buffer
	}{{"md", &md}, {"json", &js}, {"html", &html}} {
		if err := Write(f.buf, rep, f.format); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(&bytes.Buffer{}, rep, "pdf"); err == nil {
		t.Errorf("format pdf: no error")
	}
	for _, s := range rep.Sections {
		if !strings.Contains(md.String(), "\n## "+s.Title+"\n") {
			t.Errorf("markdown lacks section %q", s.Title)
		}
		if !strings.Contains(html.String(), `<h2 id="`+s.ID+`-h">`) {
			t.Errorf("html lacks section %q", s.ID)
		}
	}
	if !strings.Contains(md.String(), "| arn:aws:iam::123456789012:user/legacy-backup | 143 |") {
		t.Errorf("markdown lacks the SigV2 row")
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Records != 2204 || len(back.Sections) != len(rep.Sections) || back.Sections[1].Tables[0].SQL == "" {
		t.Errorf("json: %d records, %d sections", back.Records, len(back.Sections))
	}
	h := html.String()
	for _, bad := range []string{"<script", "http://", "https://", "@import", "url(", "<link"} {
		if i := strings.Index(h, bad); i >= 0 && !strings.Contains(h[max(0, i-30):i], "xmlns=") {
			t.Errorf("html contains %q: %s", bad, h[max(0, i-40):min(len(h), i+60)])
		}
	}
}

// TestEmpty reports on no records (one empty log object): every format
// renders, every section is there with zero counts, no chart is drawn, and
// a banner says that the window holds no records.
func TestEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "2024-03-01-00-00-00-0123456789ABCDEF"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, _, err := Build(context.Background(), Config{}, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 0 || len(rep.Sections) != 10 {
		t.Fatalf("%d records, %d sections; want 0 and 10", rep.Records, len(rep.Sections))
	}
	for _, s := range rep.Sections {
		for _, st := range s.Stats {
			if st.Value != 0 {
				t.Errorf("%s / %s = %d, want 0", s.ID, st.Label, st.Value)
			}
		}
	}
	for _, f := range []string{"html", "md", "json"} {
		var b bytes.Buffer
		if err := Write(&b, rep, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if f == "html" && (strings.Contains(b.String(), "<figure") || !strings.Contains(b.String(), "None in this window.")) {
			t.Errorf("empty html draws a chart or lacks the empty-table text")
		}
		if f != "json" && !strings.Contains(b.String(), "No records in this window (all records): 0 lines were read from 1 log objects") {
			t.Errorf("empty %s has no banner:\n%s", f, b.String())
		}
	}
}

// TestLakeSameReport builds the report over the logs and over their lake
// and compares every section whole (stats, charts, every table's rows,
// groups and SQL) with TestSections' checks of the text as the anchor:
// nothing the lake reads differently can hide in a section those checks
// do not cover. Only what describes the source itself may differ (its
// name, objects and lines read, trap lines rejected from the text).
func TestLakeSameReport(t *testing.T) {
	logs, _ := dataset(t)
	lake := lakeOf(t, logs)
	now := genCfg.Start.Add(5 * 24 * time.Hour)
	for _, w := range []pipeline.Window{
		{},
		{From: genCfg.Start.Add(30*time.Hour + 17*time.Minute), To: genCfg.Start.Add(70 * time.Hour)},
	} {
		t.Run(fmt.Sprintf("window=%s..%s", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339)), func(t *testing.T) {
			build := func(dir string) (*Report, []byte) {
				rep, _, err := Build(context.Background(), Config{Window: w, Now: now, Pipeline: pipeline.Config{Workers: 3}}, []string{dir})
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.MarshalIndent(rep.Sections, "", " ")
				if err != nil {
					t.Fatal(err)
				}
				return rep, b
			}
			text, tj := build(logs)
			lk, lj := build(lake)
			if text.Records == 0 || len(text.Sections) < 10 {
				t.Fatalf("the text's report has %d records and %d sections; want > 0 and every section", text.Records, len(text.Sections))
			}
			if text.Records != lk.Records || !text.First.Equal(lk.First) || !text.Last.Equal(lk.Last) ||
				strings.Join(text.Buckets, ",") != strings.Join(lk.Buckets, ",") || strings.Join(text.Owners, ",") != strings.Join(lk.Owners, ",") {
				t.Errorf("headers differ: text %d records %v..%v %v %v; lake %d records %v..%v %v %v",
					text.Records, text.First, text.Last, text.Buckets, text.Owners, lk.Records, lk.First, lk.Last, lk.Buckets, lk.Owners)
			}
			if !bytes.Equal(tj, lj) {
				tl, ll := strings.Split(string(tj), "\n"), strings.Split(string(lj), "\n")
				for i := range min(len(tl), len(ll)) {
					if tl[i] != ll[i] {
						t.Fatalf("sections differ at line %d of their JSON:\ntext %s\nlake %s", i+1, tl[i], ll[i])
					}
				}
				t.Fatalf("sections differ: %d lines of JSON over the text, %d over the lake", len(tl), len(ll))
			}
		})
	}
}
