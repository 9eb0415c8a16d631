package query

import (
	"github.com/s3logs/s3logs/lake"
	"github.com/s3logs/s3logs/parse"
	"github.com/s3logs/s3logs/schema"
)

// lakeArg says how an aggregate's argument is read from a unit of
// converted output without the record assembled as text (feedLake).
type lakeArg struct {
	kind  lakeArgKind
	field parse.Field // lakeInt
}

type lakeArgKind uint8

const (
	lakeStar lakeArgKind = iota // count(*): nothing is read
	lakeInt                     // an integer log field, as Record.Int reads it
	lakeTime                    // the request time, as Record.Unix reads it
)

// lakeArgs returns how each of the plan's aggregates reads its argument
// from converted output without the record (Records.Int, Records.Unix):
// count(*), or one argument that is a plain integer or request time log
// column read as its value (readColumn's; not its string view). It is
// nil when some aggregate reads anything else, or the plan does not
// aggregate.
func (p *Plan) lakeArgs() []lakeArg {
	if !p.agg {
		return nil
	}
	args := make([]lakeArg, len(p.aggs)) // not nil: no aggregate reads nothing
	for i, a := range p.aggs {
		if a.star {
			continue
		}
		x := a.arg
		if a.arg2 != nil || x == nil || !x.isCol || x.col < 0 || x.konst {
			return nil
		}
		c := &schema.Columns[x.col]
		if c.Source != schema.FromField {
			return nil
		}
		switch {
		case (c.Type == schema.Int32 || c.Type == schema.Int64) && x.kind == KindInt:
			args[i] = lakeArg{kind: lakeInt, field: c.Field}
		case c.Type == schema.Timestamp && x.kind == KindTime:
			args[i] = lakeArg{kind: lakeTime}
		default:
			return nil
		}
	}
	return args
}

// lakeHolds reports whether the unit rs reads holds every column args
// read typed (Records.HoldsInt, HoldsTime), so that feedLake can read
// them.
func lakeHolds(rs *lake.Records, args []lakeArg) bool {
	for _, a := range args {
		switch {
		case a.kind == lakeInt && !rs.HoldsInt(a.field),
			a.kind == lakeTime && !rs.HoldsTime():
			return false
		}
	}
	return true
}

// feedLake adds the current record of rs (of Next, not assembled) to
// group g's aggregates from the unit's typed column values (lakeHolds),
// as feed adds an assembled record's: the same values, without their
// text made and read back.
func (p *part) feedLake(rs *lake.Records, g *group, args []lakeArg) error {
	g.rows++
	if !p.r.stars {
		for i, a := range args {
			var v Value
			switch a.kind {
			case lakeStar:
				continue
			case lakeInt:
				if n, ok := rs.Int(a.field); ok {
					v = Value{Kind: KindInt, I: n}
				}
			case lakeTime:
				v = Value{Kind: KindTime, I: rs.Unix()}
			}
			g.states[i].add(v)
		}
	}
	if p.r.budget.over() {
		return p.r.tooMany()
	}
	return nil
}
