package query

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
)

// The shapes of AWS's documented example queries (SPEC §4), written as
// AWS writes them, against generated data; every expected answer is
// computed here from the generator's structured records.

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

func between(t time.Time, lo, hi string) bool {
	return !t.Before(date(lo)) && !t.After(date(hi))
}

// col returns a gen record's field as query output text ("NULL" when
// absent).
func col(r *gen.Record, f parse.Field) string {
	if f == parse.Time {
		return r.Time.Format(time.RFC3339)
	}
	if v, ok := r.Int(f); ok {
		return strconv.FormatInt(v, 10)
	}
	if v, ok := r.Value(f); ok {
		return v
	}
	return "NULL"
}

// keyed returns sorted "a|b|…" strings of the given output columns.
func keyed(rows [][]string, idx ...int) []string {
	var out []string
	for _, r := range rows {
		var parts []string
		for _, i := range idx {
			parts = append(parts, r[i])
		}
		out = append(out, strings.Join(parts, "|"))
	}
	sort.Strings(out)
	return out
}

func want(recs []gen.Record, keep func(r *gen.Record) bool, fields ...parse.Field) []string {
	var out []string
	for i := range recs {
		r := &recs[i]
		if !keep(r) {
			continue
		}
		var parts []string
		for _, f := range fields {
			parts = append(parts, col(r, f))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	sort.Strings(out)
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the fixture has no matching records; the test would prove nothing", what)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d rows, want %d\n got[:3]  %q\n want[:3] %q", what, len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
}

func TestAWSExampleQueries(t *testing.T) {
	recs, data := fixture(t, 11, 12, 400)
	// Pick the subjects of the questions from the data itself.
	var delKey, ip string
	for i := range recs {
		r := &recs[i]
		if delKey == "" && r.Operation == "REST.DELETE.OBJECT" && r.Key != "" {
			delKey = r.Key
		}
		if ip == "" && r.Operation == "REST.GET.OBJECT" && r.RemoteIP != "" && r.BytesSent > 0 {
			ip = r.RemoteIP
		}
	}
	if delKey == "" || ip == "" {
		t.Fatal("fixture lacks a deleted key or a GET from an IP")
	}
	const alice = "arn:aws:iam::123456789012:user/alice"
	star := map[string]int{"requestdatetime": 2, "requestid": 5, "operation": 6, "key": 7, "requester": 4}

	t.Run("who deleted an object", func(t *testing.T) {
		for _, workers := range []int{1, 3} {
			c, st := runQuery(t, "SELECT * FROM s3_access_logs_db.mybucket_logs WHERE key = '"+delKey+"' AND operation like '%DELETE%';", data, workers, Options{})
			if st.Rejected.Load() != 0 {
				t.Fatalf("%d rejected lines", st.Rejected.Load())
			}
			if len(c.cols) != 30 || c.cols[star["key"]].Name != "key" {
				t.Fatalf("SELECT * columns: %v", c.cols)
			}
			got := keyed(c.rows, star["requestdatetime"], star["requestid"], star["requester"], star["operation"])
			sameList(t, "deleted", got, want(recs, func(r *gen.Record) bool {
				return r.Key == delKey && strings.Contains(r.Operation, "DELETE")
			}, parse.Time, parse.RequestID, parse.Requester, parse.Operation))
		}
	})

	t.Run("operations by an IAM user", func(t *testing.T) {
		c, _ := runQuery(t, "SELECT * FROM s3_access_logs_db.mybucket_logs WHERE requester='"+alice+"';", data, 2, Options{})
		got := keyed(c.rows, star["requestdatetime"], star["requestid"], star["operation"])
		sameList(t, "alice", got, want(recs, func(r *gen.Record) bool { return r.Requester == alice },
			parse.Time, parse.RequestID, parse.Operation))
	})

	t.Run("PUT requests in a period, over several lines", func(t *testing.T) {
		q := `SELECT Bucket, Requester, RemoteIP, Key, HTTPStatus, ErrorCode, RequestDateTime
FROM s3_access_logs_db
WHERE Operation='REST.PUT.OBJECT' AND
parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z')
BETWEEN parse_datetime('2024-03-02:07:42:42','yyyy-MM-dd:HH:mm:ss')
AND parse_datetime('2024-03-05:08:00:00','yyyy-MM-dd:HH:mm:ss')`
		c, _ := runQuery(t, q, data, 2, Options{})
		if c.cols[4].Name != "httpstatus" || c.cols[6].Name != "requestdatetime" {
			t.Errorf("names: %v", c.cols)
		}
		sameList(t, "PUT", keyed(c.rows, 0, 1, 2, 3, 4, 5, 6), want(recs, func(r *gen.Record) bool {
			return r.Operation == "REST.PUT.OBJECT" && between(r.Time, "2024-03-02 07:42:42", "2024-03-05 08:00:00")
		}, parse.Bucket, parse.Requester, parse.RemoteIP, parse.Key, parse.HTTPStatus, parse.ErrorCode, parse.Time))
	})

	t.Run("bytes sent to an IP in a period", func(t *testing.T) {
		q := "SELECT SUM(bytessent) AS uploadTotal, SUM(objectsize) AS downloadTotal, SUM(bytessent + objectsize) AS Total FROM s3_access_logs_db.mybucket_logs WHERE RemoteIP='" + ip + "' AND parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2024-03-01','yyyy-MM-dd') AND parse_datetime('2024-03-05','yyyy-MM-dd');"
		var up, down, total int64
		var anyUp, anyDown, anyTotal bool
		for i := range recs {
			r := &recs[i]
			if r.RemoteIP != ip || !between(r.Time, "2024-03-01 00:00:00", "2024-03-05 00:00:00") {
				continue
			}
			b, okb := r.Int(parse.BytesSent)
			o, oko := r.Int(parse.ObjectSize)
			if okb {
				up, anyUp = up+b, true
			}
			if oko {
				down, anyDown = down+o, true
			}
			if okb && oko {
				total, anyTotal = total+b+o, true
			}
		}
		str := func(n int64, ok bool) string {
			if !ok {
				return "NULL"
			}
			return strconv.FormatInt(n, 10)
		}
		c, _ := runQuery(t, q, data, 3, Options{})
		wantRow := []string{str(up, anyUp), str(down, anyDown), str(total, anyTotal)}
		if len(c.rows) != 1 || !slices.Equal(c.rows[0], wantRow) {
			t.Errorf("got %v, want %v", c.rows, wantRow)
		}
		if names := []string{c.cols[0].Name, c.cols[1].Name, c.cols[2].Name}; !slices.Equal(names, []string{"uploadTotal", "downloadTotal", "Total"}) {
			t.Errorf("aliases: %v", names)
		}
		if !anyUp {
			t.Fatal("fixture IP has no bytes sent in the period")
		}
	})

	t.Run("requesters and signature versions", func(t *testing.T) {
		c, _ := runQuery(t, "SELECT requester, Sigv, Count(Sigv) as SigCount FROM s3_access_logs_db.mybucket_logs GROUP BY requester, Sigv;", data, 4, Options{})
		counts := map[string]int{}
		for i := range recs {
			r := &recs[i]
			k := col(r, parse.Requester) + "|" + col(r, parse.SigV)
			counts[k] += 0
			if _, ok := r.Value(parse.SigV); ok {
				counts[k]++
			}
		}
		var w []string
		for k, n := range counts {
			w = append(w, k+"|"+strconv.Itoa(n))
		}
		sort.Strings(w)
		sameList(t, "sigv", keyed(c.rows, 0, 1, 2), w)
		if c.cols[2].Name != "SigCount" {
			t.Errorf("alias: %v", c.cols)
		}
	})

	t.Run("requesters still on SigV2", func(t *testing.T) {
		c, _ := runQuery(t, "SELECT requester, count(*) AS n FROM s3_access_logs_db.mybucket_logs WHERE Sigv = 'SigV2' GROUP BY requester", data, 2, Options{})
		counts := map[string]int{}
		for i := range recs {
			if v, _ := recs[i].Value(parse.SigV); v == "SigV2" {
				counts[col(&recs[i], parse.Requester)]++
			}
		}
		var w []string
		for k, n := range counts {
			w = append(w, k+"|"+strconv.Itoa(n))
		}
		sort.Strings(w)
		sameList(t, "sigv2", keyed(c.rows, 0, 1), w)
	})

	t.Run("anonymous requests in a period", func(t *testing.T) {
		q := `SELECT * FROM s3_access_logs_db.mybucket_logs WHERE Requester IS NULL AND parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2024-03-02','yyyy-MM-dd') AND parse_datetime('2024-03-06','yyyy-MM-dd')`
		c, _ := runQuery(t, q, data, 2, Options{})
		sameList(t, "anonymous", keyed(c.rows, star["requestdatetime"], star["requestid"]), want(recs, func(r *gen.Record) bool {
			return r.Requester == "" && between(r.Time, "2024-03-02 00:00:00", "2024-03-06 00:00:00")
		}, parse.Time, parse.RequestID))
	})

	t.Run("operations on an object in a time window", func(t *testing.T) {
		q := "SELECT requestdatetime, operation, requester FROM s3_access_logs_db.mybucket_logs WHERE Key='" + delKey + "' AND parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2024-03-01:00:00:00','yyyy-MM-dd:HH:mm:ss') AND parse_datetime('2024-03-08:00:00:00','yyyy-MM-dd:HH:mm:ss') ORDER BY requestdatetime"
		c, _ := runQuery(t, q, data, 2, Options{})
		got := keyed(c.rows, 0, 1, 2)
		sameList(t, "object ops", got, want(recs, func(r *gen.Record) bool { return r.Key == delKey }, parse.Time, parse.Operation, parse.Requester))
		for i := 1; i < len(c.rows); i++ {
			if c.rows[i][0] < c.rows[i-1][0] {
				t.Fatalf("not ordered by time at row %d", i)
			}
		}
	})

	t.Run("date-partitioned table column", func(t *testing.T) {
		for _, tc := range []struct{ where, lo, hi string }{
			{"timestamp = '2024/03/02'", "2024-03-02 00:00:00", "2024-03-02 23:59:59"},
			{"timestamp BETWEEN '2024/03/02' AND '2024/03/04'", "2024-03-02 00:00:00", "2024-03-04 23:59:59"},
			{"timestamp >= '2024/03/06'", "2024-03-06 00:00:00", "2099-01-01 00:00:00"},
		} {
			q := "SELECT count(*), min(timestamp), max(timestamp) FROM s3_access_logs_db.mybucket_logs WHERE " + tc.where
			c, _ := runQuery(t, q, data, 2, Options{})
			n := 0
			var lo, hi string
			for i := range recs {
				if between(recs[i].Time, tc.lo, tc.hi) {
					n++
					d := recs[i].Time.Format("2006/01/02")
					if lo == "" || d < lo {
						lo = d
					}
					hi = max(hi, d)
				}
			}
			if w := []string{strconv.Itoa(n), lo, hi}; len(c.rows) != 1 || !slices.Equal(c.rows[0], w) {
				t.Errorf("%s: got %v, want %v", tc.where, c.rows, w)
			}
		}
	})
}

// TestStatementForms checks forms that differ only in spelling give the
// same answer: table names, trailing semicolon, keyword and column case,
// aliases of SPEC §3.
func TestStatementForms(t *testing.T) {
	recs, data := fixture(t, 5, 3, 200)
	n := 0
	for i := range recs {
		if recs[i].Operation == "REST.GET.OBJECT" {
			n++
		}
	}
	wantN := strconv.Itoa(n)
	for _, q := range []string{
		"SELECT count(*) FROM s3_access_logs_db WHERE operation = 'REST.GET.OBJECT'",
		"SELECT count(*) FROM s3_access_logs_db WHERE operation = 'REST.GET.OBJECT';",
		"select COUNT(*) from s3_access_logs_db.mybucket_logs where OPERATION = 'REST.GET.OBJECT' ;",
		"SELECT count(*) FROM mybucket_logs l WHERE l.Operation = 'REST.GET.OBJECT'",
		"SELECT count(*) FROM \"s3_access_logs_db\".\"mybucket_logs\" WHERE \"operation\" = 'REST.GET.OBJECT'",
		"SELECT count(requestid) FROM logs WHERE 'REST.GET.OBJECT' = operation -- a comment",
		"SELECT count(*) FROM logs WHERE operation IN ('REST.GET.OBJECT', 'NOPE')",
		"SELECT count(*) FROM logs WHERE requesturi_operation = 'GET' AND operation LIKE 'REST.GET.OBJECT'",
		"/* c */ SELECT count(*) FROM logs WHERE operation = 'REST.GET.OBJECT' AND bucket_name = bucket AND coalesce(hostheader, endpoint, 'x') = coalesce(endpoint, 'x')",
	} {
		c, _ := runQuery(t, q, data, 2, Options{})
		if len(c.rows) != 1 || c.rows[0][0] != wantN {
			t.Errorf("%s: got %v, want %s", q, c.rows, wantN)
		}
	}
}
