package query

import (
	"strings"
	"sync"
	"time"

	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/pipeline"
	"github.com/s3logs/s3logs/schema"
)

// Filter is a compiled WHERE expression for use outside a query, such as
// `convert --where`. It is immutable and safe for concurrent use.
type Filter struct {
	p    *Plan
	pool sync.Pool // *rowCtx, one per concurrent caller
}

// CompileFilter compiles expr, the text that would follow WHERE. Errors
// are *Error values whose positions refer to expr itself. The derived
// columns log_object and log_line are not available: a record alone does not
// know where it came from.
func CompileFilter(expr string, o Options) (*Filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &Error{Line: 1, Column: 1, Msg: "empty filter expression"}
	}
	e, err := ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	if hasSubquery(e) {
		return nil, errAt(e.pos(), "subqueries are not allowed in a filter")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	// The filter is the WHERE of SELECT * FROM logs.
	st := &Statement{tok: e.pos(), limit: -1, body: &selectStmt{tok: e.pos(),
		items: []SelectItem{{Star: true, tok: e.pos()}}, from: &tableRef{tok: e.pos(), name: "logs"}, where: e}}
	n, err := newPlanner(o, st).query(st)
	if err != nil {
		return nil, err
	}
	p := n.(*Plan)
	if p.agg {
		return nil, &Error{Line: 1, Column: 1, Msg: "aggregates are not allowed in a filter"}
	}
	for _, name := range []string{"log_object", "log_line"} {
		if i, _ := schema.Lookup(name); p.used[i] {
			return nil, &Error{Line: 1, Column: strings.Index(strings.ToLower(expr), name) + 1, Token: name,
				Msg: name + " is not available in a filter"}
		}
	}
	f := &Filter{p: p}
	f.pool.New = func() any { return &rowCtx{} }
	return f, nil
}

// Window returns the time range the expression bounds requestdatetime to,
// for pruning log objects by key time.
func (f *Filter) Window() pipeline.Window { return f.p.window }

// Match reports whether rec satisfies the expression (NULL counts as
// false, as in WHERE).
func (f *Filter) Match(rec *parse.Record) bool {
	rc := f.pool.Get().(*rowCtx)
	rc.rec = rec
	ok := true
	for i := range f.p.conjuncts {
		if !f.p.conjuncts[i].test(rc) {
			ok = false
			break
		}
	}
	rc.rec = nil
	f.pool.Put(rc)
	return ok
}
