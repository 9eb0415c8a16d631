package query

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokKind classifies a token.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // name or keyword; keywords are recognised by the parser
	tQIdent         // "quoted identifier"
	tInt
	tDec    // 1.5: a DECIMAL literal
	tDouble // 1e3, 1.5E-2: a DOUBLE literal
	tStr
	tOp // punctuation and operators
)

// token is one lexical token with its position (1-based line and column,
// columns counted in characters).
type token struct {
	kind tokKind
	text string // identifier text, operator, literal value (strings unquoted)
	raw  string // as written, for messages
	line int
	col  int
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of query"
	}
	return fmt.Sprintf("%q", t.raw)
}

// is reports whether t is the keyword kw (case-insensitive) or operator kw.
func (t token) is(kw string) bool {
	switch t.kind {
	case tIdent:
		return strings.EqualFold(t.text, kw)
	case tOp:
		return t.text == kw
	}
	return false
}

// Error is a query error: what is wrong and where in the SQL.
type Error struct {
	Line, Column int    // 1-based position in the SQL text
	Token        string // the offending token as written, "" at the end
	Msg          string
}

// Error formats the error as "line L:C: message".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d:%d: %s", e.Line, e.Column, e.Msg)
}

func errAt(t token, format string, args ...any) *Error {
	raw := t.raw
	if t.kind == tEOF {
		raw = ""
	}
	return &Error{Line: t.line, Column: t.col, Token: raw, Msg: fmt.Sprintf(format, args...)}
}

// lex splits sql into tokens. The last token is tEOF.
func lex(sql string) ([]token, error) {
	var out []token
	line, col := 1, 1
	i := 0
	adv := func(n int) { // advance over sql[i:i+n], tracking position
		for _, r := range sql[i : i+n] {
			if r == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
		i += n
	}
	for {
		// Skip space and comments.
		for i < len(sql) {
			c := sql[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' {
				adv(1)
				continue
			}
			if strings.HasPrefix(sql[i:], "--") {
				j := strings.IndexByte(sql[i:], '\n')
				if j < 0 {
					j = len(sql) - i
				}
				adv(j)
				continue
			}
			if strings.HasPrefix(sql[i:], "/*") {
				j := strings.Index(sql[i+2:], "*/")
				if j < 0 {
					return nil, &Error{Line: line, Column: col, Token: "/*", Msg: "unterminated comment"}
				}
				adv(j + 4)
				continue
			}
			break
		}
		tok := token{line: line, col: col}
		if i >= len(sql) {
			tok.kind = tEOF
			out = append(out, tok)
			return out, nil
		}
		c := sql[i]
		start := i
		switch {
		case isIdentStart(c):
			j := i
			for j < len(sql) && isIdentPart(sql[j]) {
				j++
			}
			tok.kind, tok.text = tIdent, sql[i:j]
			adv(j - i)
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i
			dot, exp := false, false
			for j < len(sql) && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.' && !dot) {
				if sql[j] == '.' {
					dot = true
				}
				j++
			}
			if j < len(sql) && (sql[j] == 'e' || sql[j] == 'E') {
				k := j + 1
				if k < len(sql) && (sql[k] == '+' || sql[k] == '-') {
					k++
				}
				if k < len(sql) && sql[k] >= '0' && sql[k] <= '9' {
					for k < len(sql) && sql[k] >= '0' && sql[k] <= '9' {
						k++
					}
					j, exp = k, true
				}
			}
			tok.kind, tok.text = tInt, sql[i:j]
			switch {
			case exp:
				tok.kind = tDouble
			case dot:
				tok.kind = tDec
			}
			adv(j - i)
		case c == '\'' || c == '"' || c == '`':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(sql[j])
				j++
			}
			if !closed {
				what := "string"
				if c != '\'' {
					what = "quoted identifier"
				}
				return nil, &Error{Line: line, Column: col, Token: sql[i:min(len(sql), i+20)], Msg: "unterminated " + what}
			}
			// Backquotes are Hive's (and Athena DDL's) identifier quotes;
			// queries pasted from DDL-minded sources use them.
			tok.kind, tok.text = tStr, b.String()
			if c != '\'' {
				tok.kind = tQIdent
			}
			adv(j - i)
		default:
			op := ""
			for _, o := range []string{"<>", "!=", "<=", ">=", "||", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", ";", "."} {
				if strings.HasPrefix(sql[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				r, n := utf8.DecodeRuneInString(sql[i:])
				return nil, &Error{Line: line, Column: col, Token: sql[i : i+n], Msg: fmt.Sprintf("unexpected character %q", r)}
			}
			tok.kind, tok.text = tOp, op
			adv(len(op))
		}
		tok.raw = sql[start:i]
		out = append(out, tok)
	}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '$'
}
