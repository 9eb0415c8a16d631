package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/s3logs/s3logs/schema"
)

const schemaLong = `
Prints the columns s3logs reads from each log line, with their aliases (every
name of AWS's documented Athena tables works) and types. With --ddl, prints
the CREATE TABLE (Athena, Trino) or CREATE VIEW (DuckDB) statement that reads
the output of s3logs convert at --location.
`

const schemaExamples = `  s3logs schema
  s3logs schema --ddl athena --location s3://my-lake/s3logs/
  s3logs schema --ddl duckdb --location ./parquet/ | duckdb
`

// schemaOptions are schema's parsed flags.
type schemaOptions struct {
	ddl, location, table, partition, from string
}

func newSchemaCmd(e *env) *cobra.Command {
	var o schemaOptions
	cmd := newCommand("schema [--ddl athena|trino|duckdb] [--location LOC] [--partition-by day|hour|none]", "print the column table, or CREATE TABLE text for converted output", schemaLong, schemaExamples,
		func(ctx context.Context, args []string) error { return runSchema(ctx, e, &o, args) })
	fs := cmd.Flags()
	fs.StringVar(&o.ddl, "ddl", "", "print CREATE TABLE for `engine`: athena, trino or duckdb")
	fs.StringVar(&o.location, "location", "", "output `location` of convert (s3://bucket/prefix/ or a directory)")
	fs.StringVar(&o.table, "table", "s3_access_logs", "table `name`")
	fs.StringVar(&o.partition, "partition-by", "day", "partitioning convert used: day, hour or none")
	fs.StringVar(&o.from, "from", "2019-01-01", "first `date` (yyyy-MM-dd) of Athena's partition projection range")
	return cmd
}

// runSchema prints the column table, or with --ddl the CREATE TABLE text
// that reads the output of convert.
func runSchema(ctx context.Context, e *env, o *schemaOptions, pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if o.ddl != "" {
		if o.location == "" {
			return usagef("--ddl needs --location: the --out of s3logs convert (s3://bucket/prefix/ or a directory)")
		}
		s, err := schema.DDL(o.ddl, schema.DDLOptions{Table: o.table, Location: o.location, PartitionBy: o.partition, From: o.from})
		if err != nil {
			return usageError{err}
		}
		_, err = fmt.Fprint(e.stdout, s)
		return err
	}
	// CONVERTED says where each column is in convert's output, so that a
	// query over the Parquet with another engine names what is there.
	inFiles := map[string]bool{}
	for _, c := range schema.OutputColumns() {
		inFiles[c.Name] = true
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tALIASES\tTYPE\tCONVERTED\tDESCRIPTION")
	p := schema.PartitionColumn
	for _, c := range schema.Columns {
		if c.Name == p.Name {
			continue // last, as the partition
		}
		conv := "column"
		if !inFiles[c.Name] {
			conv = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, orDash(strings.Join(c.Aliases, ",")), c.Type, conv, c.Doc)
	}
	fmt.Fprintf(tw, "%s\t-\t%s\tpartition\t%s\n", p.Name, p.Type, p.Doc)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "\nEvery column works in s3logs queries, over log objects and over converted output. Converted\n"+
		"Parquet and Arrow files hold the columns marked \"column\"; %s is the partition column of their\n"+
		"dt=yyyy-MM-dd/ directories and of every CREATE TABLE that s3logs schema --ddl prints (over log\n"+
		"objects it is the request's UTC day; other engines do not know timestamp).\n", p.Name)
	return err
}
