package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/s3logs/s3logs/convert"
	"github.com/s3logs/s3logs/gen"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
	"github.com/s3logs/s3logs/sink"
)

// TestDuckDBReadsConvert converts generated logs (traps included) with
// s3logs and reads the Parquet back with DuckDB, an independent reader:
// the column types are the SPEC §3 types, the Hive partition column is
// there, and NULLs, sums, times and row counts equal what the generator's
// structured records say.
func TestDuckDBReadsConvert(t *testing.T) {
	ctx := context.Background()
	src, out := t.TempDir(), t.TempDir()
	cfg := gen.Config{Seed: 21, Objects: 6, LinesPerObject: 150, Start: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		Span: 3 * 24 * time.Hour, Buckets: []string{"b1", "b2"}, TrapRate: 0.05}
	if _, err := gen.WriteDir(ctx, cfg, src); err != nil {
		t.Fatal(err)
	}
	objs, err := gen.All(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rows, anon, bytesSent, status404 int64
	var minT, maxT time.Time
	var hostIDs, requestIDs []string
	for _, o := range objs {
		for _, r := range o.Records {
			rows++
			if r.HostID != "" {
				hostIDs = append(hostIDs, r.HostID)
			}
			if r.RequestID != "" {
				requestIDs = append(requestIDs, r.RequestID)
			}
			if r.Requester == "" {
				anon++
			}
			if r.BytesSent != gen.Null {
				bytesSent += r.BytesSent
			}
			if r.HTTPStatus == 404 {
				status404++
			}
			if minT.IsZero() || r.Time.Before(minT) {
				minT = r.Time
			}
			if r.Time.After(maxT) {
				maxT = r.Time
			}
		}
	}
	dest, err := sink.NewLocalDestination(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.Convert(ctx, dest, convert.Options{Format: sink.Parquet, Compression: "zstd"}, pipeline.Config{}, []string{src}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	glob := sqlString(filepath.Join(out, "**", "*.parquet"))
	from := " FROM read_parquet(" + glob + ", hive_partitioning = true)"

	// Types, as DuckDB sees them.
	want := map[string]string{
		"requestdatetime": "TIMESTAMP WITH TIME ZONE", "httpstatus": "INTEGER", "bytessent": "BIGINT",
		"objectsize": "BIGINT", "totaltime": "BIGINT", "turnaroundtime": "BIGINT", "log_line": "BIGINT",
		"requester": "VARCHAR", "key": "VARCHAR", "useragent": "VARCHAR", "log_object": "VARCHAR",
	}
	trows, err := db.QueryContext(ctx, "DESCRIBE SELECT *"+from)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for trows.Next() {
		var name, typ string
		var a, b, c, d sql.NullString
		if err := trows.Scan(&name, &typ, &a, &b, &c, &d); err != nil {
			t.Fatal(err)
		}
		got[name] = typ
	}
	trows.Close()
	for col, typ := range want {
		if got[col] != typ {
			t.Errorf("DuckDB reads %s as %q, want %q", col, got[col], typ)
		}
	}
	if _, ok := got["dt"]; !ok {
		t.Errorf("no dt partition column: %v", got)
	}

	// Values.
	var n, nAnon, sum, n404 int64
	var lo, hi time.Time
	q := "SELECT count(*), count(*) FILTER (WHERE requester IS NULL), sum(bytessent), count(*) FILTER (WHERE httpstatus = 404), min(requestdatetime), max(requestdatetime)" + from
	if err := db.QueryRowContext(ctx, q).Scan(&n, &nAnon, &sum, &n404, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if n != rows || nAnon != anon || sum != bytesSent || n404 != status404 || !lo.Equal(minT) || !hi.Equal(maxT) {
		t.Errorf("DuckDB reads rows=%d anonymous=%d bytessent=%d 404s=%d time=[%v, %v]; generator says %d %d %d %d [%v, %v]",
			n, nAnon, sum, n404, lo, hi, rows, anon, bytesSent, status404, minT, maxT)
	}
	// Host Ids and Request IDs, whose pages are Huffman-coded literals only
	// (sink's zstdLiterals), read back as generated.
	for _, ids := range []struct {
		col  string
		want []string
	}{{"hostid", hostIDs}, {"requestid", requestIDs}} {
		rows, err := db.QueryContext(ctx, "SELECT "+ids.col+from+" WHERE "+ids.col+" IS NOT NULL ORDER BY "+ids.col)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				t.Fatal(err)
			}
			got = append(got, h)
		}
		rows.Close()
		sort.Strings(ids.want)
		if len(ids.want) == 0 || !slices.Equal(got, ids.want) {
			t.Errorf("DuckDB reads %d values of %s, the generator wrote %d (or they differ)", len(got), ids.col, len(ids.want))
		}
	}
	// The DDL `s3logs schema --ddl duckdb` prints runs as written and reads
	// every row.
	ddl, err := schema.DDL("duckdb", schema.DDLOptions{Location: out})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		t.Fatalf("the DuckDB DDL does not run: %v\n%s", err, ddl)
	}
	var viaView int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM s3_access_logs WHERE requester IS NULL OR requester IS NOT NULL").Scan(&viaView); err != nil || viaView != rows {
		t.Errorf("the DDL's view reads %d rows (%v), want %d", viaView, err, rows)
	}
	// The view's partition column is dt, text as in every other DDL.
	var dtType string
	if err := db.QueryRowContext(ctx, "SELECT typeof(dt) FROM s3_access_logs LIMIT 1").Scan(&dtType); err != nil || dtType != "VARCHAR" {
		t.Errorf("the DDL's view has dt of type %q (%v), want VARCHAR", dtType, err)
	}
	// Each row sits in the partition of its request's UTC date.
	var misplaced int64
	if err := db.QueryRowContext(ctx, "SELECT count(*)"+from+" WHERE strftime(requestdatetime AT TIME ZONE 'UTC', '%Y-%m-%d') <> CAST(dt AS VARCHAR)").Scan(&misplaced); err != nil {
		t.Fatal(err)
	}
	if misplaced != 0 {
		t.Errorf("%d rows outside their dt partition", misplaced)
	}
}
