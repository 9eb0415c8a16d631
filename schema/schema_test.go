package schema

import (
	"testing"

	"github.com/s3logs/s3logs/parse"
)

func TestLookup(t *testing.T) {
	f := func(name, want string) {
		t.Helper()
		i, ok := Lookup(name)
		if want == "" {
			if ok {
				t.Errorf("Lookup(%q) = %s", name, Columns[i].Name)
			}
			return
		}
		if !ok || Columns[i].Name != want {
			t.Errorf("Lookup(%q) = %d %v, want %s", name, i, ok, want)
		}
	}
	// Spellings from AWS's documented Athena tables and example queries.
	f("RequestDateTime", "requestdatetime")
	f("RemoteIP", "remoteip")
	f("HTTPStatus", "httpstatus")
	f("Sigv", "sigv")
	f("bucket_name", "bucket")
	f("hostheader", "endpoint")
	f("Endpoint", "endpoint")
	f("requesturi_httpprotoversion", "requesturi_httpprotoversion")
	f("log_object", "log_object")
	f("timestamp", "timestamp")
	f("nosuchcolumn", "")
}

func TestStarIsTheSpecTable(t *testing.T) {
	star := Star()
	if len(star) != 30 {
		t.Fatalf("SELECT * has %d columns, SPEC §3 lists 30", len(star))
	}
	// Every log field appears exactly once as a direct field column.
	seen := map[parse.Field]int{}
	for _, c := range star {
		if c.Source == FromField {
			seen[c.Field]++
		}
	}
	for f := parse.Field(0); int(f) < parse.NumFields; f++ {
		if seen[f] != 1 {
			t.Errorf("field %v appears %d times", f, seen[f])
		}
	}
	if star[2].Type != Timestamp || star[12].Type != Int32 || star[14].Type != Int64 {
		t.Errorf("types: %v %v %v", star[2].Type, star[12].Type, star[14].Type)
	}
}
