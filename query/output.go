package query

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"slices"
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
// Begin (each goroutine with its own dayText); writeEncoded writes
// encoded rows and is called under Run's lock.
type rowEncoder interface {
	appendRow(dst []byte, row []Value, dt *dayText) []byte
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
	day dayText // WriteRow's
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
	c.buf = c.appendRow(c.buf[:0], row, &c.day)
	_, err := c.w.Write(c.buf)
	return err
}

func (c *csvWriter) appendRow(b []byte, row []Value, dt *dayText) []byte {
	for i := range row {
		if i > 0 {
			b = append(b, ',')
		}
		// By pointer, and the common kinds first: a Value is 48 bytes,
		// and AppendText's switch is a call more.
		switch v := &row[i]; v.Kind {
		case KindString:
			b = appendCSVField(b, v.S)
		case KindNull:
		case KindTime:
			b = dt.appendRFC3339(b, v.I)
		default:
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

// appendCSVField appends s as a CSV field: quoted (its quotes doubled)
// when it holds a comma, quote, CR or LF, or starts or ends with a space,
// as is otherwise.
//
// The bytes are tested a word of eight at a time, four words a step, and
// copied as they are tested (the test has loaded them): no second pass
// and no memmove call. The four bytes all lie below '-', as do few bytes
// of the paths, ARNs and addresses of a log (a space, %, !, #, &, +,
// parentheses): a word with none below '-' (three operations, csvBelow)
// needs no exact test, and a word with one gets it (csvSpecial). A field
// of eight bytes and more ends with its last eight bytes, tested and
// copied again where they overlap.
func appendCSVField(dst, s []byte) []byte {
	n := len(s)
	if n < 8 {
		for _, b := range s {
			if b == ',' || b == '"' || b == '\n' || b == '\r' {
				return appendCSVQuoted(dst, s)
			}
		}
		if n > 0 && (s[0] == ' ' || s[n-1] == ' ') {
			return appendCSVQuoted(dst, s)
		}
		return append(dst, s...)
	}
	if s[0] == ' ' || s[n-1] == ' ' {
		return appendCSVQuoted(dst, s)
	}
	at := len(dst)
	if cap(dst)-at < n {
		dst = slices.Grow(dst, n)
	}
	out := dst[at : at+n]
	i := 0
	for ; i <= n-32; i += 32 {
		b, o := s[i:i+32], out[i:i+32]
		w0 := binary.LittleEndian.Uint64(b[0:8])
		w1 := binary.LittleEndian.Uint64(b[8:16])
		w2 := binary.LittleEndian.Uint64(b[16:24])
		w3 := binary.LittleEndian.Uint64(b[24:32])
		if csvBelow(w0)|csvBelow(w1)|csvBelow(w2)|csvBelow(w3) != 0 &&
			csvSpecial(w0)|csvSpecial(w1)|csvSpecial(w2)|csvSpecial(w3) != 0 {
			return appendCSVQuoted(dst[:at], s)
		}
		binary.LittleEndian.PutUint64(o[0:8], w0)
		binary.LittleEndian.PutUint64(o[8:16], w1)
		binary.LittleEndian.PutUint64(o[16:24], w2)
		binary.LittleEndian.PutUint64(o[24:32], w3)
	}
	for ; i <= n-8; i += 8 {
		w := binary.LittleEndian.Uint64(s[i : i+8])
		if csvBelow(w) != 0 && csvSpecial(w) != 0 {
			return appendCSVQuoted(dst[:at], s)
		}
		binary.LittleEndian.PutUint64(out[i:i+8], w)
	}
	w := binary.LittleEndian.Uint64(s[n-8:])
	if csvBelow(w) != 0 && csvSpecial(w) != 0 {
		return appendCSVQuoted(dst[:at], s)
	}
	binary.LittleEndian.PutUint64(out[n-8:], w)
	return dst[:at+n]
}

// appendCSVQuoted appends s quoted, its quotes doubled.
func appendCSVQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, b := range s {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

// swarOnes and swarHighs are a word's bytes all 0x01 and all 0x80.
const swarOnes, swarHighs = 0x0101010101010101, 0x8080808080808080

// csvBelow is non-zero if a byte of w is below '-' (0x2d): the bytes'
// high bits where one is, exact for the lowest (a borrow can mark bytes
// above it, never one when no byte is below).
func csvBelow(w uint64) uint64 { return (w - '-'*swarOnes) &^ w & swarHighs }

// csvSpecial is non-zero if a byte of w is a comma, quote, LF or CR.
func csvSpecial(w uint64) uint64 {
	a, b, c, d := w^(','*swarOnes), w^('"'*swarOnes), w^('\n'*swarOnes), w^('\r'*swarOnes)
	return ((a-swarOnes)&^a | (b-swarOnes)&^b | (c-swarOnes)&^c | (d-swarOnes)&^d) & swarHighs
}

// jsonWriter writes one JSON object per row; NULL is null, numbers are
// numbers, timestamps RFC 3339 strings. Invalid UTF-8 bytes are written as
// \ufffd, as encoding/json does.
type jsonWriter struct {
	w    *bufio.Writer
	keys [][]byte
	buf  []byte
	day  dayText // WriteRow's
}

func (j *jsonWriter) Begin(cols []ResultColumn) error {
	j.keys = make([][]byte, len(cols))
	for i, c := range cols {
		j.keys[i] = appendJSONString(nil, []byte(c.Name))
	}
	return nil
}

func (j *jsonWriter) WriteRow(row []Value) error {
	j.buf = j.appendRow(j.buf[:0], row, &j.day)
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonWriter) writeEncoded(b []byte) error {
	_, err := j.w.Write(b)
	return err
}

func (j *jsonWriter) appendRow(b []byte, row []Value, dt *dayText) []byte {
	b = append(b, '{')
	for i := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j.keys[i]...)
		b = append(b, ':')
		switch v := &row[i]; v.Kind {
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
		case KindTime:
			b = append(b, '"')
			b = dt.appendRFC3339(b, v.I)
			b = append(b, '"')
		default:
			// Timestamps, dates and intervals: their text is digits and
			// -:. TZ and space, nothing to escape, written in place.
			b = append(b, '"')
			b = v.AppendText(b)
			b = append(b, '"')
		}
	}
	return append(b, '}', '\n')
}

func (j *jsonWriter) End() error { return j.w.Flush() }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. The run of bytes that
// need no escape before each one that does is found a word at a time
// (jsonPlain) and appended at once.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for {
		n := jsonPlain(s)
		dst = append(dst, s[:n]...)
		if s = s[n:]; len(s) == 0 {
			break
		}
		if c := s[0]; c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default: // the other control bytes and DEL
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			s = s[1:]
			continue
		}
		r, k := utf8.DecodeRune(s)
		if r == utf8.RuneError && k == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[:k]...)
		}
		s = s[k:]
	}
	return append(dst, '"')
}

// jsonPlain returns the length of the longest prefix of s of ASCII bytes
// a JSON string holds as they are: no quote, backslash, control byte or
// DEL. (Bytes from 0x80 on end it too: they are checked as UTF-8.)
func jsonPlain(s []byte) int {
	i := 0
	for ; i <= len(s)-8; i += 8 {
		w := binary.LittleEndian.Uint64(s[i : i+8])
		q, bs, del := w^('"'*swarOnes), w^('\\'*swarOnes), w^(0x7f*swarOnes)
		// Each term marks its lowest byte exactly (a borrow marks only
		// bytes above a marked one), so the lowest mark is the first
		// byte to escape.
		m := ((w-' '*swarOnes)&^w | (q-swarOnes)&^q | (bs-swarOnes)&^bs | (del-swarOnes)&^del | w) & swarHighs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == '"' || c == '\\' || c >= 0x7f {
			return i
		}
	}
	return i
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
