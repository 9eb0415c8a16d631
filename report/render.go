package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"time"
)

// Write renders r in format ("html", "md" or "json") to w.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "html", "":
		return WriteHTML(w, r)
	case "md", "markdown":
		return WriteMarkdown(w, r)
	case "json":
		return WriteJSON(w, r)
	}
	return fmt.Errorf("unknown report format %q (want html, md or json)", format)
}

// WriteJSON writes r as one indented JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// cellText formats a table cell for people.
func cellText(col Column, v any) string {
	switch x := v.(type) {
	case nil:
		if col.Name == "requester" {
			return "(anonymous)"
		}
		return "—"
	case string:
		return x
	case int64:
		return fmtNum(x, col.Kind == "bytes")
	case time.Time:
		return utcText(x)
	}
	return fmt.Sprint(v)
}

// utcText formats t for people, marked as UTC.
func utcText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// attention lists the sections whose counts, when not zero, are something
// to look into rather than a description of the traffic.
var attention = map[string]bool{
	SecDeletions: true, SecAnonymous: true, SecSigV2: true, SecACL: true,
	SecTLS: true, SecDenied: true, SecErrors: true,
}

// Finding is one line of the summary at the top of a report: a section's
// headline numbers, and whether they need attention.
type Finding struct {
	ID, Title string
	Stats     []Stat
	Attention bool
}

// findings summarises the sections for the top of the report.
func findings(r *Report) []Finding {
	var fs []Finding
	for _, s := range r.Sections {
		f := Finding{ID: s.ID, Title: s.Title, Stats: s.Stats}
		if attention[s.ID] {
			for _, st := range s.Stats {
				f.Attention = f.Attention || st.Value > 0
			}
		}
		fs = append(fs, f)
	}
	return fs
}

// findingText is a finding's numbers: "DELETE requests 3, Batch deletes
// (per object) 0".
func findingText(f Finding) string {
	var parts []string
	for _, st := range f.Stats {
		parts = append(parts, st.Label+" "+fmtNum(st.Value, st.Bytes))
	}
	return strings.Join(parts, ", ")
}

// emptyText is the banner of a report whose window holds no records: its
// empty tables say nothing about what happened then.
func emptyText(r *Report) string {
	return fmt.Sprintf("No records in this window (%s): %s lines were read from %s log objects and none falls in it. "+
		"The empty tables below mean that nothing was read, not that nothing happened.",
		windowText(r), fmtNum(r.Lines, false), fmtNum(r.Objects, false))
}

// scopeText names the buckets and owners the records are of.
func scopeText(r *Report) string {
	if len(r.Buckets) == 0 {
		return "no records"
	}
	return fmt.Sprintf("%s %s; bucket owner %s", plural(len(r.Buckets), "bucket", "buckets"),
		strings.Join(r.Buckets, ", "), strings.Join(r.Owners, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// windowText describes the report window.
func windowText(r *Report) string {
	f := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04Z") }
	switch {
	case r.Window.From.IsZero() && r.Window.To.IsZero():
		return "all records"
	case r.Window.To.IsZero():
		return "from " + f(r.Window.From)
	case r.Window.From.IsZero():
		return "before " + f(r.Window.To)
	}
	return f(r.Window.From) + " to " + f(r.Window.To)
}

// sourcesText joins the sources for the reproducing command.
func sourcesText(r *Report) string {
	var q []string
	for _, s := range r.Sources {
		if strings.ContainsAny(s, " '\"$") {
			s = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
		q = append(q, s)
	}
	return strings.Join(q, " ")
}

// colClass is the CSS class of a column: numbers right-aligned, short
// identifiers and times kept on one line.
func colClass(c Column) string {
	switch {
	case c.Kind == "int" || c.Kind == "bytes":
		return "n"
	case c.Kind == "time":
		return "nw"
	}
	switch c.Name {
	case "operation", "remoteip", "tls", "errorcode", "httpstatus", "bucket":
		return "nw"
	}
	return ""
}

// wrapCell formats a cell as HTML with break opportunities after the
// slashes and colons of ARNs and keys (and inside very long tokens), so
// long values wrap at sensible places instead of widening the table, and
// in few pieces: a break after every dot and dash made towers of ARNs.
func wrapCell(c Column, v any) template.HTML {
	text := cellText(c, v)
	if colClass(c) != "" {
		return template.HTML(template.HTMLEscapeString(text))
	}
	var b strings.Builder
	run := 0
	for _, r := range text {
		if r == '@' {
			b.WriteString("<wbr>")
		}
		b.WriteString(template.HTMLEscapeString(string(r)))
		run++
		switch {
		case r == '/' || r == ':':
			b.WriteString("<wbr>")
			run = 0
		case r == ' ':
			run = 0
		case run >= 20: // long tokens such as canonical user IDs
			b.WriteString("<wbr>")
			run = 0
		}
	}
	return template.HTML(b.String())
}

// WriteMarkdown writes r as GitHub-flavoured Markdown.
func WriteMarkdown(w io.Writer, r *Report) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# %s\n\n", r.Title)
	if r.Records == 0 {
		fmt.Fprintf(b, "> **%s**\n\n", emptyText(r))
	}
	fmt.Fprintf(b, "- Sources: `%s`\n- Scope: %s\n- Window: %s\n- Records: %s", sourcesText(r), scopeText(r), windowText(r), fmtNum(r.Records, false))
	if r.Records > 0 {
		fmt.Fprintf(b, " (%s to %s)", r.First.Format(time.RFC3339), r.Last.Format(time.RFC3339))
	}
	fmt.Fprintf(b, "\n- Lines read: %s, malformed: %s, log objects: %s\n- Generated: %s", fmtNum(r.Lines, false), fmtNum(r.Rejected, false), fmtNum(r.Objects, false), r.Generated.UTC().Format(time.RFC3339))
	if r.Tool != "" {
		fmt.Fprintf(b, " by %s", r.Tool)
	}
	if r.Command != "" {
		fmt.Fprintf(b, "\n- Command: `%s`", strings.ReplaceAll(r.Command, "`", "'"))
	}
	b.WriteString("\n\n## Findings\n\n")
	for _, f := range findings(r) {
		mark := ""
		if f.Attention {
			mark = " — **needs attention**"
		}
		fmt.Fprintf(b, "- [%s](#%s): %s%s\n", f.Title, mdAnchor(f.Title), findingText(f), mark)
	}
	fmt.Fprintf(b, "\nEvery table's SQL reproduces it: `s3logs query \"SQL\" %s`.\n", sourcesText(r))
	mdEsc := strings.NewReplacer("|", `\|`, "\n", " ", "`", "'")
	for _, s := range r.Sections {
		fmt.Fprintf(b, "\n## %s\n\n%s\n\n", s.Title, s.Question)
		for _, st := range s.Stats {
			fmt.Fprintf(b, "- %s: **%s**\n", st.Label, fmtNum(st.Value, st.Bytes))
		}
		for _, t := range s.Tables {
			fmt.Fprintf(b, "\n### %s\n\n", t.Caption)
			if len(t.Rows) == 0 {
				b.WriteString("None.\n")
			} else {
				for i, c := range t.Columns {
					if i > 0 {
						b.WriteString(" ")
					}
					fmt.Fprintf(b, "| %s", c.Label)
				}
				b.WriteString(" |\n")
				for i, c := range t.Columns {
					if i > 0 {
						b.WriteString(" ")
					}
					if c.Kind == "string" {
						b.WriteString("|---")
					} else {
						b.WriteString("|--:")
					}
				}
				b.WriteString(" |\n")
				for _, row := range t.Rows {
					for i, v := range row {
						if i > 0 {
							b.WriteString(" ")
						}
						fmt.Fprintf(b, "| %s", mdEsc.Replace(cellText(t.Columns[i], v)))
					}
					b.WriteString(" |\n")
				}
			}
			if int64(len(t.Rows)) < t.Groups {
				fmt.Fprintf(b, "\nTop %d of %s.", len(t.Rows), fmtNum(t.Groups, false))
			}
			if t.Approximate {
				b.WriteString(" Too many distinct values to keep all: rows are approximate.")
			}
			if t.Note != "" {
				fmt.Fprintf(b, "\n%s", t.Note)
			}
			fmt.Fprintf(b, "\n\n```sql\n%s\n```\n", t.SQL)
		}
	}
	return b.Flush()
}

// mdAnchor is the anchor GitHub gives a Markdown heading.
func mdAnchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// WriteHTML writes r as one self-contained HTML page: inline CSS and SVG,
// no scripts, fonts or other network resources.
func WriteHTML(w io.Writer, r *Report) error {
	return pageTmpl().Execute(w, r)
}

// pageTmpl is parsed at the first page written, not at package init: every
// s3logs process links this package, and parsing took ~2 % of a start.
var pageTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"num":      func(n int64) string { return fmtNum(n, false) },
		"stat":     func(s Stat) string { return fmtNum(s.Value, s.Bytes) },
		"cell":     cellText,
		"window":   windowText,
		"sources":  sourcesText,
		"ts":       utcText,
		"findings": findings,
		"finding":  findingText,
		"empty":    emptyText,
		"scope":    scopeText,
		"svg":      func(c Chart, id string) template.HTML { return c.svg(id) },
		"legend":   func(c Chart) []legendItem { return c.legend() },
		"bucket":   func(c Chart, t int64) string { return c.bucketLabel(t) },
		"at":       func(s Series, i int) int64 { return s.Values[i] },
		"chartid":  func(sec string, i int) string { return fmt.Sprintf("%s-chart-%d", sec, i) },
		"numeric":  func(c Column) bool { return c.Kind == "int" || c.Kind == "bytes" },
		"colclass": colClass,
		"wrap":     wrapCell,
		"null":     func(v any) bool { return v == nil },
		"more":     func(t Table) bool { return int64(len(t.Rows)) < t.Groups },
		"exact": func(c Column, v any) string {
			if n, ok := v.(int64); ok && c.Kind == "bytes" {
				return fmtNum(n, false) + " bytes"
			}
			return ""
		},
	}).Parse(pageHTML))
})

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}} — {{window .}}</title>
<style>` + pageCSS + `</style>
</head>
<body>
<header class="top">
<div class="wrap">
<p class="kicker">s3logs report</p>
<h1>{{.Title}}</h1>
<dl class="meta">
<div><dt>Sources</dt><dd><code>{{sources .}}</code></dd></div>
<div><dt>Scope</dt><dd>{{scope .}}</dd></div>
<div><dt>Window</dt><dd>{{window .}}</dd></div>
<div><dt>Records</dt><dd>{{num .Records}}{{if .Records}} <span class="muted">({{ts .First}} to {{ts .Last}})</span>{{end}}</dd></div>
<div><dt>Read</dt><dd>{{num .Objects}} log objects, {{num .Lines}} lines, {{num .Rejected}} malformed</dd></div>
<div><dt>Generated</dt><dd>{{ts .Generated}}{{with .Tool}} <span class="muted">by {{.}}</span>{{end}}</dd></div>
{{with .Command}}<div class="cmd"><dt>Command</dt><dd><code>{{.}}</code></dd></div>{{end}}
</dl>
</div>
</header>
<main class="wrap">
{{if not .Records}}<p class="banner" role="alert">{{empty .}}</p>{{end}}
<div class="findings" role="region" aria-labelledby="findings-h">
<h2 id="findings-h">Findings</h2>
<ul>{{range findings .}}<li{{if .Attention}} class="attn"{{end}}><a href="#{{.ID}}">{{.Title}}</a>: {{finding .}}{{if .Attention}} <strong>— needs attention</strong>{{end}}</li>{{end}}</ul>
</div>
<nav aria-label="Sections" class="toc">
<h2 class="toc-title">Contents</h2>
<ol>{{range .Sections}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}</ol>
</nav>
<p class="audit">Every table below shows the SQL that reproduces it: run <code>s3logs query "SQL" {{sources .}}</code>. Times are UTC.</p>
{{range $s := .Sections}}
<section id="{{.ID}}" aria-labelledby="{{.ID}}-h">
<h2 id="{{.ID}}-h">{{.Title}}</h2>
<p class="question">{{.Question}}</p>
<ul class="stats">{{range .Stats}}<li><span class="v">{{stat .}}</span> <span class="l">{{.Label}}</span></li>{{end}}</ul>
{{range $i, $c := .Charts}}{{with svg $c (chartid $s.ID $i)}}
<figure class="fig">
<figcaption>{{$c.Title}}</figcaption>
{{with legend $c}}<ul class="legend" aria-hidden="true">{{range .}}<li><span class="sw" style="background:{{.Color}}"></span>{{.Name}}</li>{{end}}</ul>{{end}}
{{.}}
{{if eq $c.Kind "time"}}<details class="data"><summary>Data for this chart</summary>
<table><caption>{{$c.Title}} (UTC)</caption><thead><tr><th scope="col">{{$c.Bucket}}</th>{{range $c.Series}}<th scope="col" class="n">{{.Name}}</th>{{end}}</tr></thead>
<tbody>{{range $j, $t := $c.Times}}<tr><th scope="row">{{bucket $c $t}}</th>{{range $c.Series}}<td class="n">{{num (at . $j)}}</td>{{end}}</tr>{{end}}</tbody></table>
</details>{{end}}
</figure>
{{end}}{{end}}
<div class="tables">
{{range .Tables}}
<div class="tbl{{if gt (len .Columns) 3}} wide{{end}}">
<table>
<caption>{{.Caption}}{{if more .}} <span class="muted">— top {{len .Rows}} of {{num .Groups}}</span>{{end}}</caption>
<thead><tr>{{range .Columns}}<th scope="col"{{with colclass .}} class="{{.}}"{{end}}>{{.Label}}</th>{{end}}</tr></thead>
<tbody>
{{- $t := .}}{{range .Rows}}<tr>{{range $i, $v := .}}{{$c := index $t.Columns $i}}<td{{with colclass $c}} class="{{.}}"{{end}}{{with exact $c $v}} title="{{.}}"{{end}}>{{if null $v}}<span class="null">{{cell $c $v}}</span>{{else}}{{wrap $c $v}}{{end}}</td>{{end}}</tr>
{{else}}<tr><td colspan="{{len .Columns}}" class="none">None in this window.</td></tr>
{{end}}</tbody>
</table>
{{if .Approximate}}<p class="note">Too many distinct values to keep all of them: rows are approximate; totals are exact.</p>{{end}}
{{with .Note}}<p class="note">{{.}}</p>{{end}}
<details class="sql"><summary>SQL</summary><pre><code>{{.SQL}}</code></pre></details>
</div>
{{end}}
</div>
</section>
{{end}}
</main>
<footer class="wrap foot">Generated by <code>s3logs report</code> from S3 server access logs. Self-contained: no scripts, fonts or network requests.</footer>
</body>
</html>
`

const pageCSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#dfe3ea;--bg:#ffffff;--panel:#f6f8fb;--accent:#0b5cad}
*{box-sizing:border-box}
html{font-size:15px}
body{margin:0;color:var(--fg);background:var(--bg);font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.45}
.wrap{max-width:1080px;margin:0 auto;padding:0 24px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.86rem}
header.top{background:#15233b;color:#fff;padding:28px 0 22px}
header.top code{color:#dbe6ff}
.kicker{margin:0;text-transform:uppercase;letter-spacing:.08em;font-size:.75rem;color:#9fb3d6}
h1{margin:.1em 0 .5em;font-size:1.9rem;font-weight:650}
.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:6px 28px;margin:0}
.meta div{display:flex;gap:10px}
.meta dt{min-width:80px;color:#9fb3d6}
.meta dd{margin:0}
.muted{color:var(--muted)}
.meta .cmd{grid-column:1/-1}
.meta dd{min-width:0;overflow-wrap:anywhere}
.banner{margin:18px 0 0;padding:12px 16px;border:2px solid #b54708;background:#fff6ed;border-radius:8px;font-weight:600}
.findings{margin-top:18px}
.findings ul{margin:0;padding-left:1.2em}
.findings li{margin:2px 0}
.findings li.attn strong{color:#b42318}
header .muted{color:#b8c6e0}
.toc{margin:22px 0 8px;padding:14px 18px;background:var(--panel);border:1px solid var(--line);border-radius:8px}
.toc-title{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 6px;border:0;padding:0}
.toc ol{margin:0;padding-left:1.3em;columns:2;column-gap:32px}
.toc a{color:var(--accent);text-decoration:none}
.toc a:hover{text-decoration:underline}
.audit{color:var(--muted);font-size:.9rem}
section{margin:30px 0 10px;padding-top:8px;border-top:1px solid var(--line)}
h2{font-size:1.35rem;margin:.5em 0 .2em;font-weight:650}
.question{margin:0 0 12px;color:var(--muted);max-width:72ch}
.stats{list-style:none;display:flex;flex-wrap:wrap;gap:12px;margin:0 0 14px;padding:0}
.stats li{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:150px}
.stats .v{display:block;font-size:1.35rem;font-weight:650;font-variant-numeric:tabular-nums}
.stats .l{font-size:.82rem;color:var(--muted)}
.fig{margin:8px 0 16px;padding:12px 14px;border:1px solid var(--line);border-radius:8px}
.fig figcaption{font-weight:600;margin-bottom:4px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 16px;margin:0 0 6px;padding:0;font-size:.82rem;color:var(--muted)}
.legend .sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px;print-color-adjust:exact;-webkit-print-color-adjust:exact}
svg.chart{display:block;width:100%;height:auto;font-size:12px;print-color-adjust:exact;-webkit-print-color-adjust:exact}
svg.chart text{fill:#4a5263}
svg.chart .grid line{stroke:#e8ebf0}
svg.chart .axis{stroke:#9aa3b2}
svg.chart .xlabels line{stroke:#9aa3b2}
svg.chart .unit{text-anchor:end;fill:#8a93a3;font-size:11px}
svg.chart .label{fill:#1d2330}
svg.chart .value{font-variant-numeric:tabular-nums}
.tables{display:flex;flex-wrap:wrap;gap:0 28px}
.tbl{margin:10px 0 18px;min-width:0;flex:1 1 400px}
.tbl.wide{flex-basis:100%}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:4px 0 6px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow-wrap:break-word}
.nw{white-space:nowrap}
thead th{background:var(--panel);font-weight:600;border-bottom:2px solid #c9cfda;font-size:.82rem;text-transform:uppercase;letter-spacing:.03em;color:#3b4354}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fbfcfd}
.null{color:var(--muted);font-style:italic}
.none{color:var(--muted);font-style:italic}
.note{font-size:.85rem;color:var(--muted);margin:6px 0}
details{margin:6px 0}
summary{cursor:pointer;color:var(--accent);font-size:.88rem}
details.sql pre{background:#f3f5f9;border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow-x:auto;white-space:pre-wrap}
details.data table{font-size:.82rem;max-width:560px}
.foot{color:var(--muted);font-size:.82rem;padding:28px 24px 40px}
a:focus,summary:focus{outline:2px solid var(--accent);outline-offset:2px}
@media print{
 html{font-size:11px}
 header.top{background:none;color:#000;padding:0;border-bottom:2px solid #000}
 header.top code,.kicker,.meta dt,header .muted{color:#000}
 .toc{display:none}
 section{break-inside:auto;border-top:1px solid #999}
 h2{break-after:avoid}
 .fig,.stats,tr{break-inside:avoid}
 .tables{display:block}
 .wrap{padding:0}
 .nw{white-space:normal}
 th,td{overflow-wrap:anywhere;padding:3px 6px}
 details.sql{display:none}
 a{color:inherit}
}
`
