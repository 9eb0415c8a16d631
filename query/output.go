package query

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NewWriter returns a RowWriter for one of the text formats: "csv", "json"
// (one object per line) or "table" (aligned columns for people; it holds
// all rows until End). Parquet and Arrow live in package sink.
func NewWriter(format string, w io.Writer) (RowWriter, error) {
	switch format {
	case "csv":
		return &csvWriter{w: bufio.NewWriterSize(w, 64<<10)}, nil
	case "json":
		return &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}, nil
	case "table":
		return &tableWriter{w: w}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want table, csv, json, parquet or arrow)", format)
}

// rowEncoder is implemented by writers whose rows can be encoded on the
// workers' goroutines: appendRow must be safe for concurrent use after
// Begin; writeEncoded writes encoded rows and is called under Run's lock.
type rowEncoder interface {
	appendRow(dst []byte, row []Value) []byte
	writeEncoded(b []byte) error
}

var (
	_ rowEncoder = (*csvWriter)(nil)
	_ rowEncoder = (*jsonWriter)(nil)
)

// csvWriter writes RFC 4180 CSV with a header row; NULL is an empty field.
type csvWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (c *csvWriter) Begin(cols []ResultColumn) error {
	c.buf = c.buf[:0]
	for i, col := range cols {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendCSVField(c.buf, []byte(col.Name))
	}
	c.buf = append(c.buf, '\n')
	_, err := c.w.Write(c.buf)
	return err
}

func (c *csvWriter) WriteRow(row []Value) error {
	c.buf = c.appendRow(c.buf[:0], row)
	_, err := c.w.Write(c.buf)
	return err
}

func (c *csvWriter) appendRow(b []byte, row []Value) []byte {
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		if v.Kind == KindString {
			b = appendCSVField(b, v.S)
		} else {
			b = v.AppendText(b)
		}
	}
	return append(b, '\n')
}

func (c *csvWriter) writeEncoded(b []byte) error {
	_, err := c.w.Write(b)
	return err
}

func (c *csvWriter) End() error { return c.w.Flush() }

func appendCSVField(dst, s []byte) []byte {
	if !csvNeedsQuotes(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for _, b := range s {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

// csvNeedsQuotes reports whether a CSV field of s must be quoted: it
// holds a comma, quote, CR or LF, or starts or ends with a space. The
// bytes are tested eight at a time (a word with a zero byte where one of
// the four was), which for the paths and ARNs of a log is most of
// writing them.
func csvNeedsQuotes(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return true
	}
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; len(s) >= 8; s = s[8:] {
		w := binary.LittleEndian.Uint64(s)
		a, b, c, d := w^(','*ones), w^('"'*ones), w^('\n'*ones), w^('\r'*ones)
		if ((a-ones)&^a|(b-ones)&^b|(c-ones)&^c|(d-ones)&^d)&highs != 0 {
			return true
		}
	}
	for _, b := range s {
		if b == ',' || b == '"' || b == '\n' || b == '\r' {
			return true
		}
	}
	return false
}

// jsonWriter writes one JSON object per row; NULL is null, numbers are
// numbers, timestamps RFC 3339 strings. Invalid UTF-8 bytes are written as
// \ufffd, as encoding/json does.
type jsonWriter struct {
	w    *bufio.Writer
	keys [][]byte
	buf  []byte
}

func (j *jsonWriter) Begin(cols []ResultColumn) error {
	j.keys = make([][]byte, len(cols))
	for i, c := range cols {
		j.keys[i] = appendJSONString(nil, []byte(c.Name))
	}
	return nil
}

func (j *jsonWriter) WriteRow(row []Value) error {
	j.buf = j.appendRow(j.buf[:0], row)
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonWriter) writeEncoded(b []byte) error {
	_, err := j.w.Write(b)
	return err
}

func (j *jsonWriter) appendRow(b []byte, row []Value) []byte {
	b = append(b, '{')
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j.keys[i]...)
		b = append(b, ':')
		switch v.Kind {
		case KindNull:
			b = append(b, "null"...)
		case KindInt, KindBool, KindDecimal:
			b = v.AppendText(b)
		case KindFloat:
			if s := v.String(); strings.ContainsAny(s, "NI") { // NaN, ±Inf
				b = appendJSONString(b, []byte(s))
			} else {
				b = append(b, s...)
			}
		case KindString:
			b = appendJSONString(b, v.S)
		default:
			b = appendJSONString(b, v.AppendText(nil))
		}
	}
	return append(b, '}', '\n')
}

func (j *jsonWriter) End() error { return j.w.Flush() }

const hexDigits = "0123456789abcdef"

func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// tableRows is how many rows a table writer holds to size its columns;
// later rows are printed as they come with those widths (a longer cell
// pushes its line out of alignment), so memory stays bounded.
const tableRows = 1000

// tableWriter prints aligned columns with a header, NULL as "NULL".
type tableWriter struct {
	w       io.Writer
	bw      *bufio.Writer
	cols    []ResultColumn
	rows    [][]string
	width   []int
	right   []bool
	n       int
	flushed bool
}

func (t *tableWriter) Begin(cols []ResultColumn) error {
	t.cols = cols
	t.bw = bufio.NewWriter(t.w)
	return nil
}

func (t *tableWriter) WriteRow(row []Value) error {
	r := make([]string, len(row))
	for i, v := range row {
		if v.Kind == KindNull {
			r[i] = "NULL"
			continue
		}
		s := v.String()
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\t") {
			s = strings.Trim(strconv.QuoteToGraphic(s), `"`)
		}
		r[i] = s
	}
	t.n++
	if t.flushed {
		t.line(r, false)
		return nil
	}
	t.rows = append(t.rows, r)
	if len(t.rows) >= tableRows {
		t.flush()
	}
	return nil
}

// flush sizes the columns from the rows held, prints the header and them.
func (t *tableWriter) flush() {
	t.width = make([]int, len(t.cols))
	t.right = make([]bool, len(t.cols))
	for i, c := range t.cols {
		t.width[i] = utf8.RuneCountInString(c.Name)
		t.right[i] = isNumeric(c.Kind)
	}
	for _, r := range t.rows {
		for i, s := range r {
			t.width[i] = max(t.width[i], utf8.RuneCountInString(s))
		}
	}
	names := make([]string, len(t.cols))
	rule := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.Name
		rule[i] = strings.Repeat("-", t.width[i])
	}
	t.line(names, true)
	t.line(rule, true)
	for _, r := range t.rows {
		t.line(r, false)
	}
	t.rows = nil
	t.flushed = true
}

func (t *tableWriter) line(cells []string, head bool) {
	for i, s := range cells {
		if i > 0 {
			t.bw.WriteString("  ")
		}
		pad := strings.Repeat(" ", max(0, t.width[i]-utf8.RuneCountInString(s)))
		if t.right[i] && !head {
			t.bw.WriteString(pad + s)
		} else if i < len(cells)-1 {
			t.bw.WriteString(s + pad)
		} else {
			t.bw.WriteString(s)
		}
	}
	t.bw.WriteByte('\n')
}

func (t *tableWriter) End() error {
	if !t.flushed {
		t.flush()
	}
	plural := "s"
	if t.n == 1 {
		plural = ""
	}
	fmt.Fprintf(t.bw, "(%d row%s)\n", t.n, plural)
	return t.bw.Flush()
}
