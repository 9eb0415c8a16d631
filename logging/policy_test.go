package logging

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestMergePolicy(t *testing.T) {
	ours := []statement{deliveryStatement("lb", "src/", "src", "123456789012")}
	f := func(existing string, wantChanged bool, wantSids ...string) {
		t.Helper()
		merged, changed, err := mergePolicy(existing, ours)
		if err != nil {
			t.Fatalf("%s: %v", existing, err)
		}
		if changed != wantChanged {
			t.Fatalf("%s: changed %v", existing, changed)
		}
		if !changed {
			return
		}
		var doc struct {
			Version   string
			Statement []struct{ Sid string }
		}
		if err := json.Unmarshal(merged, &doc); err != nil {
			t.Fatal(err)
		}
		var sids []string
		for _, s := range doc.Statement {
			sids = append(sids, s.Sid)
		}
		if doc.Version == "" || strings.Join(sids, ",") != strings.Join(wantSids, ",") {
			t.Errorf("%s: merged %s", existing, merged)
		}
	}
	sid := deliverySid("src")
	f("", true, sid)
	f(`{"Version":"2008-10-17","Statement":{"Sid":"Other","Effect":"Deny"}}`, true, "Other", sid)
	f(`{"Statement":[{"Sid":"`+sid+`","Effect":"Allow"},{"Sid":"Other"}]}`, true, sid, "Other")
	// Already there, with IAM's one-element lists spelled as lists: no change.
	same := `{"Version":"2012-10-17","Statement":[{"Sid":"` + sid + `","Effect":"Allow","Principal":{"Service":["logging.s3.amazonaws.com"]},` +
		`"Action":["s3:PutObject"],"Resource":"arn:aws:s3:::lb/src/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::src"},"StringEquals":{"aws:SourceAccount":["123456789012"]}}}]}`
	f(same, false)
	// Same but another account: replaced.
	f(strings.Replace(same, "123456789012", "999999999999", 1), true, sid)

	if _, _, err := mergePolicy(`{not json`, ours); err == nil {
		t.Error("invalid existing policy accepted")
	}
	if _, _, err := mergePolicy(`{"Statement":"x"}`, ours); err == nil {
		t.Error("string Statement accepted")
	}
}

func TestDeliverySidDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, b := range []string{"a-b", "a.b", "ab", "my.bucket-1", "my-bucket.1"} {
		s := deliverySid(b)
		for i := 0; i < len(s); i++ {
			if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				t.Errorf("sid %q has %q", s, c)
			}
		}
		if o, ok := seen[s]; ok {
			t.Errorf("%s and %s share sid %s", b, o, s)
		}
		seen[s] = b
	}
}

func TestExpand(t *testing.T) {
	f := func(pattern, bucket, want string, wantErr bool) {
		t.Helper()
		got, err := expand(pattern, "123", "eu-west-1", bucket)
		if (err != nil) != wantErr || got != want {
			t.Errorf("expand(%q) = %q, %v", pattern, got, err)
		}
	}
	f(DefaultTargetBucket, "", "123-s3-access-logs-eu-west-1", false)
	f(DefaultTargetPrefix, "b", "b/", false)
	f("logs/{account}/{region}/{bucket}-", "b", "logs/123/eu-west-1/b-", false)
	f("plain", "", "plain", false)
	f("{bucket}", "", "", true)
	f("x{region", "", "", true)
	f("{Region}", "", "", true)
}

func TestParseLayout(t *testing.T) {
	f := func(format, date, want string, wantErr bool) {
		t.Helper()
		l, err := ParseLayout(format, date)
		if (err != nil) != wantErr || err == nil && l.String() != want {
			t.Errorf("ParseLayout(%q, %q) = %v, %v", format, date, l, err)
		}
	}
	f("simple", "", "simple", false)
	f("", "delivery", "simple", false)
	f("partitioned", "", "partitioned(EventTime)", false)
	f("partitioned", "event", "partitioned(EventTime)", false)
	f("Partitioned", "delivery", "partitioned(DeliveryTime)", false)
	f("hive", "", "", true)
	f("partitioned", "yesterday", "", true)
}

func TestValidBucketName(t *testing.T) {
	for name, ok := range map[string]bool{
		"123456789012-s3-access-logs-us-east-1": true, "a.b-c": true, "ab": false,
		strings.Repeat("a", 64): false, "Upper": false, "-a-": false, "a..b": false, "a_b": false,
	} {
		if got := validBucketName(name) == ""; got != ok {
			t.Errorf("validBucketName(%q) ok=%v", name, got)
		}
	}
}

func TestMergeLifecycle(t *testing.T) {
	other := types.LifecycleRule{ID: aws.String("other"), Status: types.ExpirationStatusEnabled}
	rules, changed := mergeLifecycle([]types.LifecycleRule{other}, 30)
	if !changed || len(rules) != 2 || aws.ToString(rules[0].ID) != "other" || aws.ToInt32(rules[1].Expiration.Days) != 30 {
		t.Fatalf("add: %v %+v", changed, rules)
	}
	if _, changed := mergeLifecycle(rules, 30); changed {
		t.Error("same rule again changed")
	}
	rules2, changed := mergeLifecycle(rules, 60)
	if !changed || len(rules2) != 2 || aws.ToInt32(rules2[1].Expiration.Days) != 60 || aws.ToInt32(rules[1].Expiration.Days) != 30 {
		t.Errorf("replace: %v %+v", changed, rules2)
	}
}

// FuzzExpand checks that any pattern either fails with ErrConfig or expands
// to text with every placeholder replaced and the literal parts kept.
func FuzzExpand(f *testing.F) {
	f.Add(DefaultTargetBucket)
	f.Add(DefaultTargetPrefix)
	f.Add("{")
	f.Add("a}{b")
	f.Fuzz(func(t *testing.T, pattern string) {
		got, err := expand(pattern, "ACCT", "REGION", "BUCKET")
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("expand(%q): error %v does not wrap ErrConfig", pattern, err)
			}
			return
		}
		// Reference: the three replacements done naively must agree when
		// the pattern has no other braces.
		ref := strings.NewReplacer("{account}", "ACCT", "{region}", "REGION", "{bucket}", "BUCKET").Replace(pattern)
		if got != ref {
			t.Fatalf("expand(%q) = %q, reference %q", pattern, got, ref)
		}
	})
}
