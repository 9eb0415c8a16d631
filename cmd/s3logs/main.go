// Command s3logs answers questions about Amazon S3 server access logs and
// converts them to Parquet and Arrow. Run "s3logs help" for its commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/s3logs/s3logs/internal/awserr"
	"github.com/s3logs/s3logs/internal/heapfloor"
)

// env is what a command may touch of the process, so tests can run
// commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutTTY and stderrTTY say whether they are terminals: table output
	// and progress bars only go to terminals.
	stdoutTTY, stderrTTY bool
	// screen, when stderr is a terminal, keeps the progress display and
	// the output on it apart.
	screen *screen
	// args is the command line as typed, for the report's header.
	args []string
}

// commands returns the subcommands, each built afresh so that flag values
// never carry over from one run to the next.
func commands(e *env) []*cobra.Command {
	return []*cobra.Command{
		newQueryCmd(e), newConvertCmd(e), newSchemaCmd(e), newEnableCmd(e),
		newStatusCmd(e), newReportCmd(e), newGenCmd(e), newBenchCmd(e),
	}
}

func main() {
	// A query allocates a few tens of MiB in all; collecting from the
	// runtime's 4 MiB goal cost a fifth of a selective query's CPU.
	heapfloor.Set(32 << 20)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stdoutTTY: isTerminal(os.Stdout), stderrTTY: isTerminal(os.Stderr),
	}
	if e.stderrTTY {
		// Output and messages erase the progress frame before they are
		// written; the frame itself is drawn on os.Stderr directly.
		e.screen = newScreen(os.Stderr)
		e.stderr = e.screen.guard(os.Stderr)
		if e.stdoutTTY {
			e.stdout = e.screen.guard(os.Stdout)
		}
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status: 0 success
// (and help), 2 a usage or query error, 1 a runtime failure.
func run(ctx context.Context, e *env, args []string) int {
	if e.args == nil {
		e.args = append([]string{"s3logs"}, args...)
	}
	root := newRootCmd(e)
	root.SetArgs(args)
	if len(args) > 0 && args[0] == cobra.ShellCompRequestCmd {
		// Flag usages mark their value's name with backticks for --help;
		// a shell shows the description as written.
		root.SetOut(&plainDescriptions{w: e.stdout})
	}
	ran := false // a command's body started: errors before it are usage errors
	for _, c := range root.Commands() {
		if c.RunE == nil {
			continue
		}
		body := c.RunE
		c.RunE = func(c *cobra.Command, args []string) error {
			ran = true
			return body(c, args)
		}
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	name := "s3logs"
	if cmd != nil && cmd != root {
		name = "s3logs " + cmd.Name()
	}
	var ue usageError
	usage := !ran || errors.As(err, &ue)
	switch {
	case !ran:
		err = commandUsageError(cmd, err)
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		// SIGINT/SIGTERM: say so rather than "context canceled".
		err = errors.New("interrupted; the summary above says what was done")
	default:
		err = errors.New(awserr.Message(err))
	}
	msg := err.Error()
	if usage && !ran {
		msg += fmt.Sprintf(" (see %s --help)", name)
	}
	fmt.Fprintf(e.stderr, "%s: %s\n", name, msg)
	if usage {
		return 2
	}
	return 1
}

const rootLong = `s3logs answers questions about Amazon S3 server access logs and converts
them to Parquet or Arrow, fast, without Athena. It reads log objects from S3
(s3://bucket/prefix/), local files and directories (.gz and .zst too), or
standard input (-).`

const rootExamples = `  s3logs query "SELECT requester, sigv, count(*) AS n FROM logs GROUP BY requester, sigv ORDER BY n DESC" examples/logs/
  s3logs query "SELECT * FROM 's3://my-log-bucket/logs/' WHERE key = 'images/picture.jpg' AND operation LIKE '%DELETE%'"
  s3logs report --since 90d s3://my-log-bucket/logs/ --out report.html
  s3logs convert s3://my-log-bucket/logs/ --out ./parquet/
  s3logs gen --out ./logs/ --objects 100`

// newRootCmd returns the s3logs command with its subcommands, help,
// --version and shell completion. Output goes to e; errors are returned
// for run to print, once.
func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "s3logs",
		Short:         "Query and convert Amazon S3 server access logs",
		Long:          rootLong,
		Example:       rootExamples,
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetGlobalNormalizationFunc(normalizeFlag)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(commands(e)...)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			// Without a shell, say so rather than print help and exit 0.
			c.RunE = func(*cobra.Command, []string) error {
				return usagef("name a shell: bash, zsh, fish or powershell")
			}
		}
	}
	return root
}

// newCommand returns a subcommand whose body is run with the parsed
// flags. use is the synopsis ("query [flags] SQL [SOURCE...]"), short the
// one-line summary, long and examples the help text.
func newCommand(use, short, long, examples string, body func(ctx context.Context, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    strings.TrimSpace(long),
		Example: strings.TrimRight(examples, "\n"),
		RunE: func(c *cobra.Command, args []string) error {
			return body(c.Context(), args)
		},
		DisableFlagsInUseLine: true,
	}
}

// normalizeFlag accepts the AWS CLI's --endpoint-url for --endpoint.
func normalizeFlag(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if name == "endpoint-url" {
		name = "endpoint"
	}
	return pflag.NormalizedName(name)
}

// flagError turns a flag parsing error into a usage error, with a
// suggestion for a mistyped flag name.
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		var names []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		if s := closest(name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", s)
		}
	}
	return usageError{errors.New(msg)}
}

// commandUsageError words an error cobra found before running cmd: an
// unknown (sub)command gets cobra's suggestion on the same line.
func commandUsageError(cmd *cobra.Command, err error) error {
	var ue usageError
	if errors.As(err, &ue) { // from flagError
		return err
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	if typed, ok := strings.CutPrefix(first, "unknown command "); ok && cmd != nil {
		typed, _, _ = strings.Cut(typed, " for ")
		name := strings.Trim(typed, `"`)
		first = "unknown command " + typed
		if s := cmd.SuggestionsFor(name); len(s) > 0 {
			first += fmt.Sprintf(" (did you mean %q?)", s[0])
		}
	}
	return usageError{errors.New(first)}
}

// closest returns the candidate nearest to typed, if it is near enough to
// be the one meant: a prefix of it, or at most two edits away (a swap of
// neighbours counts as one).
func closest(typed string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if strings.HasPrefix(c, typed) && len(typed) >= 3 {
			return c
		}
		if d := editDistance(typed, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of neighbours,
// the usual slips when typing a flag.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// shellJoin quotes args for a POSIX shell, so a command line can be
// copied and run again.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@%+") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// usageError marks an error in how the command was called or in its query:
// exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// isTerminal reports whether f is a terminal. A character device is not
// enough: /dev/null is one too.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// plainDescriptions writes completions ("value\tdescription" lines)
// without the backticks in their descriptions.
type plainDescriptions struct {
	w      io.Writer
	inDesc bool // past the current line's tab
}

func (p *plainDescriptions) Write(b []byte) (int, error) {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c == '\n':
			p.inDesc = false
		case c == '\t':
			p.inDesc = true
		case c == '`' && p.inDesc:
			continue
		}
		out = append(out, c)
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
