package conformance

import "fmt"

func statusReport(outs []outcome, lines int64) string {
	s := ""
	for _, o := range outs {
		s += fmt.Sprintf("%s %v %s %s\n", o.q.ID, o.pass, o.stage, o.detail)
	}
	return s
}
