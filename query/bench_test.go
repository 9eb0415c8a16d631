package query

import (
	"bytes"
	"io"
	"testing"

	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/parse"
)

// discard is a RowWriter that drops rows.
type discard struct{ n int }

func (d *discard) Begin([]ResultColumn) error { return nil }
func (d *discard) WriteRow([]Value) error     { d.n++; return nil }
func (d *discard) End() error                 { return nil }

func benchQuery(b *testing.B, sql string) { benchQueryTo(b, sql, &discard{}) }

// benchQueryTo is benchQuery writing the rows to out.
func benchQueryTo(b *testing.B, sql string, out RowWriter) {
	data := gen.Block(1, 8<<20)
	p, err := Compile(sql, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := runBlock(p, data, out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGroupBySigV is AWS's "requesters still on SigV2" shape: every
// line parsed, two columns decoded, a hash aggregate.
func BenchmarkGroupBySigV(b *testing.B) {
	benchQuery(b, "SELECT requester, Sigv, Count(Sigv) as SigCount FROM s3_access_logs_db.mybucket_logs GROUP BY requester, Sigv")
}

// BenchmarkWhoDeleted is the selective filter: the line prefilter rejects
// almost every line before it is parsed.
func BenchmarkWhoDeleted(b *testing.B) {
	benchQuery(b, "SELECT * FROM s3_access_logs_db.mybucket_logs WHERE key = 'images/picture.jpg' AND operation like '%DELETE%'")
}

// BenchmarkTimeRangeCount: a time-range filter evaluated on the parsed
// timestamp, no prefilter possible.
func BenchmarkTimeRangeCount(b *testing.B) {
	benchQuery(b, "SELECT count(*) FROM t WHERE parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z') BETWEEN parse_datetime('2024-03-02','yyyy-MM-dd') AND parse_datetime('2024-03-03','yyyy-MM-dd')")
}

// BenchmarkNoPushdownWhoDeleted is the selective filter evaluated after a
// full parse, to show what pushdown buys.
func BenchmarkNoPushdownWhoDeleted(b *testing.B) {
	data := gen.Block(1, 8<<20)
	p, err := Compile("SELECT * FROM s3_access_logs_db.mybucket_logs WHERE key = 'images/picture.jpg' AND operation like '%DELETE%'", Options{NoPushdown: true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := runBlock(p, data, &discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJoinResidual is a join whose ON condition is no equality: every
// pair of the two sides is tested, and few join.
func BenchmarkJoinResidual(b *testing.B) {
	benchQuery(b, "SELECT count(*) FROM (SELECT key, objectsize FROM logs WHERE httpstatus = 404) a JOIN (SELECT key, objectsize FROM logs WHERE httpstatus = 403) b ON a.objectsize < b.objectsize")
}

// BenchmarkPeerQueries are the side-by-side run's (bench/run.sh) other
// scans: its group-by, count(*) reading no value of the record, and
// bytes-by-IP over one day, a time window on the parsed timestamp and an
// integer aggregate.
func BenchmarkPeerQueries(b *testing.B) {
	for _, q := range []struct{ name, sql string }{
		{"GroupByCountStar", "SELECT requester, sigv, count(*) FROM logs GROUP BY requester, sigv"},
		{"BytesByIPDay", "SELECT remoteip, sum(bytessent) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-02 00:00:00' AND requestdatetime < TIMESTAMP '2024-03-03 00:00:00' GROUP BY remoteip"},
	} {
		b.Run(q.name, func(b *testing.B) { benchQuery(b, q.sql) })
	}
	// Who-deleted as the side-by-side run has it: few lines parsed, each
	// written out as CSV.
	b.Run("WhoDeletedCSV", func(b *testing.B) {
		w, err := NewWriter("csv", io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		benchQueryTo(b, "SELECT requestdatetime, requester, key FROM logs WHERE operation LIKE '%DELETE%'", w)
	})
}

// BenchmarkExpr evaluates one expression per record over parsed records,
// no scan around it: the per-row cost of the evaluators themselves.
func BenchmarkExpr(b *testing.B) {
	recs := parsedRecords(gen.Block(2, 256<<10))
	for _, c := range []struct{ name, expr string }{
		{"substr", "substr(key, 2, 5)"},
		{"strpos", "strpos(useragent, 'aws')"},
		{"trim", "trim(requester)"},
		{"round", "round(totaltime / 7.0, 1)"},
		{"cast_timestamp", "CAST(concat('2024-03-0', substr(remoteip, 1, 1), ' 10:11:12') AS timestamp)"},
		{"date", "date(concat('2024-03-0', substr(remoteip, 1, 1)))"},
		{"cast_timestamp_bad", "CAST(remoteip AS timestamp)"},
		{"compare", "httpstatus >= 400"},
		{"int_arith", "bytessent + objectsize"},
		{"float_arith", "totaltime * 1.5e0"},
	} {
		p, err := Compile("SELECT "+c.expr+" FROM logs", Options{})
		if err != nil {
			b.Fatal(err)
		}
		fn := p.proj[0].fn
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var rc rowCtx
			for b.Loop() {
				for i := range recs {
					rc.rec = &recs[i]
					fn(&rc)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/row")
		})
	}
}

// parsedRecords returns the records of data's lines that parse.
func parsedRecords(data []byte) []parse.Record {
	var recs []parse.Record
	for line := range bytes.Lines(data) {
		var r parse.Record
		if r.Parse(line) == nil {
			recs = append(recs, r)
		}
	}
	return recs
}
