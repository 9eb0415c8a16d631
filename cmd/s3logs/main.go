// Command s3logs answers questions about Amazon S3 server access logs and
// converts them to Parquet and Arrow. See README.md and SPEC §2.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// command is one subcommand. run returns a usageError for bad flags or
// queries (exit status 2) and any other error for runtime failures (1).
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch of the process, so tests can run
// commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutTTY and stderrTTY say whether they are terminals: table output
	// and progress bars only go to terminals.
	stdoutTTY, stderrTTY bool
}

func commands() []command {
	return []command{
		{"query", "run an SQL query over log objects", runQuery},
		{"convert", "convert log objects to partitioned Parquet or Arrow", runConvert},
		{"schema", "print the column table, or CREATE TABLE text for converted output", runSchema},
		{"enable", "turn on server access logging for buckets, per region", runEnable},
		{"status", "show which buckets log where, and the source to query", runStatus},
		{"report", "answer the standard security questions as one HTML page", runReport},
		{"gen", "write realistic synthetic log objects", runGen},
		{"bench", "measure parse, query and convert throughput", runBench},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stdoutTTY: isTerminal(os.Stdout), stderrTTY: isTerminal(os.Stderr),
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil {
			return 0
		}
		if errors.Is(err, errHelp) {
			return 0
		}
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			// SIGINT/SIGTERM: say so rather than "context canceled".
			err = errors.New("interrupted; the summary above says what was done")
		}
		fmt.Fprintf(e.stderr, "s3logs %s: %v\n", c.name, err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	fmt.Fprintf(e.stderr, "s3logs: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `s3logs answers questions about Amazon S3 server access logs and converts them
to Parquet/Arrow, fast, without Athena.

Usage:
  s3logs <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  s3logs query "SELECT requester, sigv, count(*) FROM logs GROUP BY requester, sigv" examples/
  s3logs query "SELECT * FROM 's3://my-log-bucket/logs/' WHERE key = 'images/picture.jpg' AND operation LIKE '%DELETE%'"
  s3logs convert s3://my-log-bucket/logs/ --out ./parquet/
  s3logs gen --out ./logs/ --objects 100

Run "s3logs <command> -h" for a command's flags.
`)
}

// usageError marks an error in how the command was called or in its query:
// exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

var errHelp = errors.New("help requested")

// isTerminal reports whether f is a terminal. A character device is not
// enough: /dev/null is one too.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
