package query

import (
	"strings"
	"testing"

	"github.com/s3logs/s3logs/parse"
)

func TestFilterMatch(t *testing.T) {
	line := []byte(`79a5 mybucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT photos/cat.jpg "GET /mybucket/photos/cat.jpg HTTP/1.1" 200 - 113 4096 7 5 "-" "curl/8.5.0" - s9lzHYrFp76ZVxRcpX9= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader mybucket.s3.us-west-1.amazonaws.com TLSv1.2`)
	var rec parse.Record
	if err := rec.Parse(line); err != nil {
		t.Fatal(err)
	}
	f := func(expr string, want bool) {
		t.Helper()
		flt, err := CompileFilter(expr, Options{})
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if got := flt.Match(&rec); got != want {
			t.Errorf("%s: Match = %v, want %v", expr, got, want)
		}
	}
	f("requester IS NULL", true)
	f("requester IS NOT NULL", false)
	f("operation = 'REST.GET.OBJECT' AND bytessent > 100", true)
	f("bytessent > 113", false)
	f("errorcode = 'x'", false)       // NULL is not true
	f("NOT (errorcode = 'x')", false) // nor is its negation
	f("coalesce(errorcode, 'none') = 'none'", true)
	f("requestdatetime BETWEEN TIMESTAMP '2019-02-06 00:00:00' AND TIMESTAMP '2019-02-06 00:00:38'", true)
	f("timestamp = '2019/02/06'", true)
	f("lower(sigv) = 'sigv4' OR key LIKE 'nothing%'", true)

	flt, _ := CompileFilter("requestdatetime >= TIMESTAMP '2019-02-06 00:00:00'", Options{})
	if w := flt.Window(); w.From.IsZero() || !w.To.IsZero() {
		t.Errorf("window %+v", w)
	}
}

func TestFilterErrors(t *testing.T) {
	f := func(expr, want string, col int) {
		t.Helper()
		_, err := CompileFilter(expr, Options{})
		e, ok := err.(*Error)
		if !ok || !strings.Contains(e.Msg, want) || e.Column != col {
			t.Errorf("%q: %v, want %q at column %d", expr, err, want, col)
		}
	}
	f("opration = 'x'", "unknown column", 1)
	f("key = 'a' AND reqester IS NULL", "unknown column", 15)
	f("", "empty", 1)
	f("count(*) > 1", "aggregate", 1)
	f("log_object = 'x'", "not available", 1)
	f("remoteip IN (SELECT remoteip FROM logs)", "subqueries are not allowed", 10)
	f("key = 'a' UNION SELECT * FROM logs", "after the end of the expression", 11)
}
