package conformance

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// An Oracle answers the suite's DuckDB translations over one log file,
// which DuckDB reads itself as space-separated text.
//
// The table logs has the SPEC §3 columns with their types, absent values
// (-, "-") NULL, as s3logs types them; and, for the places where Athena's
// string-typed table shows through, the text Athena would see:
// requestdatetime_text ('06/Feb/2019:00:00:38 +0000'), and "timestamp",
// the yyyy/MM/dd partition column of AWS's date-partitioned table. Macros
// give Trino's exact DECIMAL results as text (see oracleMacros).
//
// An Oracle holds one connection and is not safe for concurrent use.
type Oracle struct {
	db *sql.DB
}

// The time "[06/Feb/2019:00:00:38 +0000]" arrives as two space-separated
// columns; S3 writes +0000, so the first is read as UTC.
const loadLogs = `CREATE TABLE logs AS SELECT
  bucketowner, bucket, bucket AS bucket_name,
  strptime(substr(t1, 2), '%d/%b/%Y:%H:%M:%S') AS requestdatetime,
  substr(t1, 2) || ' ' || rtrim(tz, ']') AS requestdatetime_text,
  strftime(strptime(substr(t1, 2), '%d/%b/%Y:%H:%M:%S'), '%Y/%m/%d') AS "timestamp",
  nullif(remoteip, '-') AS remoteip, nullif(requester, '-') AS requester, requestid, operation,
  nullif(key, '-') AS key, nullif(request_uri, '-') AS request_uri,
  split_part(nullif(request_uri, '-'), ' ', 1) AS requesturi_operation,
  split_part(nullif(request_uri, '-'), ' ', 2) AS requesturi_key,
  split_part(nullif(request_uri, '-'), ' ', 3) AS requesturi_httpprotoversion,
  CAST(nullif(httpstatus, '-') AS INTEGER) AS httpstatus, nullif(errorcode, '-') AS errorcode,
  CAST(nullif(bytessent, '-') AS BIGINT) AS bytessent, CAST(nullif(objectsize, '-') AS BIGINT) AS objectsize,
  CAST(nullif(totaltime, '-') AS BIGINT) AS totaltime, CAST(nullif(turnaroundtime, '-') AS BIGINT) AS turnaroundtime,
  nullif(referrer, '-') AS referrer, nullif(useragent, '-') AS useragent, nullif(versionid, '-') AS versionid, hostid,
  nullif(sigv, '-') AS sigv, nullif(ciphersuite, '-') AS ciphersuite, nullif(authtype, '-') AS authtype,
  nullif(endpoint, '-') AS endpoint, nullif(tlsversion, '-') AS tlsversion, nullif(accesspointarn, '-') AS accesspointarn,
  nullif(aclrequired, '-') AS aclrequired, nullif(sourceregion, '-') AS sourceregion
FROM read_csv(%s, delim = ' ', quote = '"', escape = '"', header = false, auto_detect = false,
  null_padding = true, nullstr = '\x01',
  columns = {'bucketowner': 'VARCHAR', 'bucket': 'VARCHAR', 't1': 'VARCHAR', 'tz': 'VARCHAR',
    'remoteip': 'VARCHAR', 'requester': 'VARCHAR', 'requestid': 'VARCHAR', 'operation': 'VARCHAR',
    'key': 'VARCHAR', 'request_uri': 'VARCHAR', 'httpstatus': 'VARCHAR', 'errorcode': 'VARCHAR',
    'bytessent': 'VARCHAR', 'objectsize': 'VARCHAR', 'totaltime': 'VARCHAR', 'turnaroundtime': 'VARCHAR',
    'referrer': 'VARCHAR', 'useragent': 'VARCHAR', 'versionid': 'VARCHAR', 'hostid': 'VARCHAR',
    'sigv': 'VARCHAR', 'ciphersuite': 'VARCHAR', 'authtype': 'VARCHAR', 'endpoint': 'VARCHAR',
    'tlsversion': 'VARCHAR', 'accesspointarn': 'VARCHAR', 'aclrequired': 'VARCHAR', 'sourceregion': 'VARCHAR'})`

// starView is SELECT * of s3logs: the SPEC §3 columns, in order.
const starView = `CREATE VIEW logs_star AS SELECT * EXCLUDE (bucket_name, requestdatetime_text, "timestamp") FROM logs`

// oracleMacros implement Trino's DECIMAL results exactly, in integers,
// and print them as Athena does (the scale's digits after the point):
//
//   - trino_div(a, b): a / b of two unscaled integers, rounded half away
//     from zero, as Trino rounds a DECIMAL quotient to its scale;
//   - trino_decimal(u, s): the text of the unscaled value u at scale s;
//   - trino_regexp_extract(s, p, g): regexp_extract, NULL (not ”) when p
//     does not match, as in Trino.
//
// A DECIMAL quotient x / y of DECIMAL(xp, xs) and DECIMAL(yp, ys) has scale
// max(xs, ys) (precision min(38, xp + ys + max(0, ys - xs))); a BIGINT
// operand is DECIMAL(19, 0). So sum(b) / 1073741824.0 is
// trino_decimal(trino_div(sum(b) * 10 * 10, 10737418240), 1): the
// dividend scaled to 10^(result scale + divisor scale).
var oracleMacros = []string{
	`CREATE MACRO trino_div(a, b) AS
	   CASE WHEN b = 0 THEN NULL ELSE
	     sign(CAST(a AS HUGEINT)) * sign(CAST(b AS HUGEINT)) *
	     ((abs(CAST(a AS HUGEINT)) * 2 + abs(CAST(b AS HUGEINT))) // (2 * abs(CAST(b AS HUGEINT))))
	   END`,
	`CREATE MACRO trino_regexp_extract(s, p, g) AS
	   CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END`,
	`CREATE MACRO trino_decimal(u, s) AS
	   CASE WHEN u IS NULL THEN NULL
	        WHEN s = 0 THEN CAST(CAST(u AS HUGEINT) AS VARCHAR)
	        ELSE (CASE WHEN u < 0 THEN '-' ELSE '' END) ||
	             CAST(abs(CAST(u AS HUGEINT)) // CAST(pow(10, s) AS HUGEINT) AS VARCHAR) || '.' ||
	             lpad(CAST(abs(CAST(u AS HUGEINT)) % CAST(pow(10, s) AS HUGEINT) AS VARCHAR), s, '0')
	   END`,
}

// OpenOracle loads logFile into a new in-memory DuckDB.
func OpenOracle(ctx context.Context, logFile string) (*Oracle, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // the table and macros live in this connection
	stmts := append([]string{"SET TimeZone = 'UTC'",
		strings.Replace(loadLogs, "%s", quote(logFile), 1), starView}, oracleMacros...)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("duckdb: %w\n%s", err, s)
		}
	}
	return &Oracle{db: db}, nil
}

// Close closes the database.
func (o *Oracle) Close() error { return o.db.Close() }

// Rows returns the number of log lines loaded.
func (o *Oracle) Rows(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.QueryRowContext(ctx, "SELECT count(*) FROM logs").Scan(&n)
	return n, err
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Query runs a translation and returns its answer as text in the forms
// s3logs prints: timestamps RFC 3339 UTC, dates yyyy-mm-dd, booleans
// true/false, DECIMAL values with their scale's digits, NULL "".
func (o *Oracle) Query(ctx context.Context, q string) (Result, error) {
	rows, err := o.db.QueryContext(ctx, q)
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return Result{}, err
	}
	var res Result
	for _, t := range types {
		res.Cols = append(res.Cols, t.Name())
		res.Float = append(res.Float, t.DatabaseTypeName() == "DOUBLE" || t.DatabaseTypeName() == "FLOAT")
	}
	vals := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Result{}, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = text(v, types[i].DatabaseTypeName())
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

func text(v any, typ string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		if typ == "DATE" {
			return v.UTC().Format(time.DateOnly)
		}
		return v.UTC().Format(time.RFC3339)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case *big.Int:
		return v.String()
	case duckdb.Decimal:
		return decimalText(v.Value, int(v.Scale))
	}
	return fmt.Sprint(v)
}

// decimalText prints unscaled u at scale s with exactly s digits after the
// point, as Athena prints a DECIMAL.
func decimalText(u *big.Int, s int) string {
	neg := u.Sign() < 0
	d := new(big.Int).Abs(u).String()
	if s > 0 {
		if len(d) <= s {
			d = strings.Repeat("0", s-len(d)+1) + d
		}
		d = d[:len(d)-s] + "." + d[len(d)-s:]
	}
	if neg {
		d = "-" + d
	}
	return d
}
