package schema

import (
	"errors"
	"fmt"
	"strings"
)

// PartitionColumn is the partition column of converted output: the Hive
// directories convert writes (dt=2019-02-06/, or dt=2019-02-06-13/ by
// hour) and the column every DDL declares for them, with the same name and
// text values. Its values are a request's UTC day, yyyy-MM-dd; the query
// column timestamp (yyyy/MM/dd, AWS's name for its own table) is computed
// by s3logs queries and is not in the files. s3logs queries read it as
// the column of that name in Columns: over converted output the value of
// the directory a file is in, over log objects the request's UTC day.
var PartitionColumn Column

// OutputColumns returns the columns of converted Parquet/Arrow output in
// file order: the SPEC §3 columns, then log_object and log_line. The
// partition column dt is in directory names (dt=2019-02-06/), not in files.
func OutputColumns() []Column {
	cols := append([]Column(nil), Star()...)
	for _, c := range Columns {
		if c.Source == FromObject || c.Source == FromLine {
			cols = append(cols, c)
		}
	}
	return cols
}

// DDLOptions describe the converted output a CREATE TABLE reads.
type DDLOptions struct {
	// Table is the table name. Default "s3_access_logs".
	Table string
	// Location is the output root, e.g. s3://bucket/prefix/ or a local
	// directory (DuckDB). Required: a statement over a placeholder would
	// run and find nothing.
	Location string
	// PartitionBy is "day" (default, dt=yyyy-MM-dd), "hour"
	// (dt=yyyy-MM-dd-HH) or "none".
	PartitionBy string
	// From is the first partition for Athena's projection range, as
	// yyyy-MM-dd. Default "2019-01-01".
	From string
}

// DDL returns the statement that makes engine ("athena", "trino" or
// "duckdb") read the Parquet output of s3logs convert.
func DDL(engine string, o DDLOptions) (string, error) {
	if o.Table == "" {
		o.Table = "s3_access_logs"
	}
	if o.Location == "" {
		return "", errors.New("no location: give the --out of s3logs convert (s3://bucket/prefix/ or a directory)")
	}
	if !strings.HasSuffix(o.Location, "/") {
		o.Location += "/"
	}
	if o.From == "" {
		o.From = "2019-01-01"
	}
	format, unit, from := "yyyy-MM-dd", "DAYS", o.From
	switch strings.ToLower(o.PartitionBy) {
	case "", "day":
		o.PartitionBy = "day"
	case "hour":
		format, unit, from = "yyyy-MM-dd-HH", "HOURS", o.From+"-00"
		o.PartitionBy = "hour"
	case "none":
		o.PartitionBy = "none"
	default:
		return "", fmt.Errorf("unknown partitioning %q (want day, hour or none)", o.PartitionBy)
	}
	part := o.PartitionBy != "none"
	var b strings.Builder
	cols := OutputColumns()
	switch strings.ToLower(engine) {
	case "athena":
		fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS `%s` (\n", o.Table)
		for i, c := range cols {
			fmt.Fprintf(&b, "  `%s` %s%s\n", c.Name, hiveType(c.Type), comma(i, len(cols)))
		}
		b.WriteString(")\n")
		if part {
			b.WriteString("PARTITIONED BY (`dt` string)\n")
		}
		fmt.Fprintf(&b, "STORED AS PARQUET\nLOCATION '%s'", o.Location)
		if part {
			fmt.Fprintf(&b, `
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = '%s',
  'projection.dt.range' = '%s,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = '%s',
  'storage.location.template' = '%sdt=${dt}/'
)`, format, from, unit, o.Location)
		}
		b.WriteString(";\n")
	case "trino":
		fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS hive.default.%s (\n", o.Table)
		for i, c := range cols {
			fmt.Fprintf(&b, "  \"%s\" %s%s\n", c.Name, trinoType(c.Type), comma(i, len(cols)+btoi(part)))
		}
		if part {
			b.WriteString("  \"dt\" varchar\n")
		}
		fmt.Fprintf(&b, ")\nWITH (\n  format = 'PARQUET',\n  external_location = '%s'", o.Location)
		if part {
			b.WriteString(",\n  partitioned_by = ARRAY['dt']")
		}
		b.WriteString("\n);\n")
		if part {
			fmt.Fprintf(&b, "-- after each conversion, register new partitions:\nCALL hive.system.sync_partition_metadata('default', '%s', 'ADD');\n", o.Table)
		}
	case "duckdb":
		if strings.HasPrefix(o.Location, "s3://") {
			// DuckDB reads s3:// through httpfs, with the credentials of
			// the AWS SDK's default chain (environment, profile, role).
			b.WriteString("INSTALL httpfs;\nLOAD httpfs;\nINSTALL aws;\nLOAD aws;\nCREATE OR REPLACE SECRET s3logs (TYPE s3, PROVIDER credential_chain);\n")
		}
		// dt stays text, as in the files' directories and the other DDLs,
		// rather than DuckDB's guess of DATE.
		hive := "false"
		if part {
			hive = "true, hive_types = {'dt': VARCHAR}"
		}
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW %s AS\nSELECT * FROM read_parquet('%s**/*.parquet', hive_partitioning = %s);\n",
			o.Table, sqlString(o.Location), hive)
	default:
		return "", fmt.Errorf("unknown engine %q (want athena, trino or duckdb)", engine)
	}
	return b.String(), nil
}

// sqlString escapes s for a single-quoted SQL literal.
func sqlString(s string) string { return strings.ReplaceAll(s, "'", "''") }

func comma(i, n int) string {
	if i < n-1 {
		return ","
	}
	return ""
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hiveType is the Athena (Hive DDL) type of t.
func hiveType(t Type) string {
	switch t {
	case Int32:
		return "int"
	case Int64:
		return "bigint"
	case Timestamp:
		return "timestamp"
	}
	return "string"
}

// trinoType is the Trino type of t.
func trinoType(t Type) string {
	switch t {
	case Int32:
		return "integer"
	case Int64:
		return "bigint"
	case Timestamp:
		return "timestamp(3)"
	}
	return "varchar"
}
