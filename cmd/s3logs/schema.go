package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/s3logs/s3logs/schema"
)

// runSchema prints the column table, or with --ddl the CREATE TABLE text
// that reads the output of convert.
func runSchema(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("schema", "[--ddl athena|trino|duckdb] [--location LOC] [--partition-by day|hour|none]", "", e.stderr)
	ddl := fs.String("ddl", "", "print CREATE TABLE for `engine`: athena, trino or duckdb")
	loc := fs.String("location", "", "output `location` of convert (s3://bucket/prefix/ or a directory)")
	table := fs.String("table", "s3_access_logs", "table `name`")
	part := fs.String("partition-by", "day", "partitioning convert used: day, hour or none")
	from := fs.String("from", "2019-01-01", "first `date` (yyyy-MM-dd) of Athena's partition projection range")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *ddl != "" {
		s, err := schema.DDL(*ddl, schema.DDLOptions{Table: *table, Location: *loc, PartitionBy: *part, From: *from})
		if err != nil {
			return usageError{err}
		}
		_, err = fmt.Fprint(e.stdout, s)
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tALIASES\tTYPE\tDESCRIPTION")
	for _, c := range schema.Columns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, strings.Join(c.Aliases, ","), c.Type, c.Doc)
	}
	return tw.Flush()
}
