package schema

import (
	"strings"
	"testing"
)

func TestDDL(t *testing.T) {
	f := func(engine string, o DDLOptions, wants ...string) {
		t.Helper()
		got, err := DDL(engine, o)
		if err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s %+v: missing %q in\n%s", engine, o, w, got)
			}
		}
	}
	loc := DDLOptions{Location: "s3://b/p/"}
	f("athena", loc, "CREATE EXTERNAL TABLE IF NOT EXISTS `s3_access_logs` (", "`requestdatetime` timestamp,",
		"`httpstatus` int,", "`bytessent` bigint,", "`key` string,", "`log_line` bigint\n)",
		"PARTITIONED BY (`dt` string)", "STORED AS PARQUET\nLOCATION 's3://b/p/'",
		"'projection.enabled' = 'true'", "'projection.dt.type' = 'date'", "'projection.dt.format' = 'yyyy-MM-dd'",
		"'projection.dt.range' = '2019-01-01,NOW'", "'projection.dt.interval.unit' = 'DAYS'",
		"'storage.location.template' = 's3://b/p/dt=${dt}/'")
	f("athena", DDLOptions{Location: "s3://b/p", PartitionBy: "hour"}, "'projection.dt.format' = 'yyyy-MM-dd-HH'",
		"'projection.dt.range' = '2019-01-01-00,NOW'", "'projection.dt.interval.unit' = 'HOURS'", "LOCATION 's3://b/p/'")
	f("trino", loc, "\"httpstatus\" integer,", "\"log_line\" bigint,\n  \"dt\" varchar\n)", "external_location = 's3://b/p/'",
		"partitioned_by = ARRAY['dt']", "format = 'PARQUET'")
	f("duckdb", DDLOptions{Location: "out", Table: "logs"}, "CREATE OR REPLACE VIEW logs AS", "read_parquet('out/**/*.parquet', hive_partitioning = true, hive_types = {'dt': VARCHAR})")
	f("duckdb", loc, "INSTALL httpfs;\nLOAD httpfs;\n", "CREATE OR REPLACE SECRET s3logs (TYPE s3, PROVIDER credential_chain);\n",
		"read_parquet('s3://b/p/**/*.parquet'")
	f("duckdb", DDLOptions{Location: "out", PartitionBy: "none"}, "hive_partitioning = false")
	if _, err := DDL("duckdb", DDLOptions{}); err == nil {
		t.Error("DDL without a location accepted")
	}
	none, _ := DDL("athena", DDLOptions{Location: "s3://b/p/", PartitionBy: "none"})
	if strings.Contains(none, "PARTITIONED") || strings.Contains(none, "projection") {
		t.Errorf("unpartitioned Athena DDL has partitions:\n%s", none)
	}
	if n := strings.Count(none, "\n  `"); n != 32 {
		t.Errorf("Athena DDL has %d columns, want 32 (30 of SPEC §3, log_object, log_line)", n)
	}
	for _, e := range []string{"mysql", ""} {
		if _, err := DDL(e, loc); err == nil {
			t.Errorf("engine %q accepted", e)
		}
	}
	if _, err := DDL("athena", DDLOptions{Location: "s3://b/p/", PartitionBy: "week"}); err == nil {
		t.Error("partitioning week accepted")
	}
}
