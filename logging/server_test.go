package logging_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/s3logs/s3logs/logging"
	"github.com/s3logs/s3logs/logging/loggingtest"
)

const acct = "111122223333"

func clientsOf(s *loggingtest.Server) logging.Clients {
	return func(region string) logging.API { return s.Client(region) }
}

// world is three source buckets in three regions (one answering the legacy
// "EU" location), one that already logs elsewhere, and that elsewhere.
func world(t *testing.T) *loggingtest.Server {
	t.Helper()
	s := loggingtest.New()
	t.Cleanup(s.Close)
	s.AddBucket("app-a", "us-east-1")
	s.AddBucket("app-b", "EU")
	s.AddBucket("app-c", "ap-southeast-2")
	s.AddBucket("legacy", "us-east-1")
	s.AddBucket("central-logs", "us-east-1")
	s.SetLogging("legacy", &loggingtest.Logging{TargetBucket: "central-logs", TargetPrefix: "legacy/"})
	s.SetLogging("central-logs", nil)
	return s
}

func build(t *testing.T, s *loggingtest.Server, cfg logging.Config) *logging.Plan {
	t.Helper()
	if cfg.Account == "" {
		cfg.Account = acct
	}
	p, err := logging.Build(context.Background(), clientsOf(s), cfg)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

func source(t *testing.T, p *logging.Plan, bucket string) logging.Source {
	t.Helper()
	for _, s := range p.Sources {
		if s.Bucket == bucket {
			return s
		}
	}
	t.Fatalf("no source %q in plan", bucket)
	return logging.Source{}
}

func TestPlanMultiRegionDryRun(t *testing.T) {
	s := world(t)
	p := build(t, s, logging.Config{ExpireDays: 365})
	if w := s.Writes(); len(w) != 0 {
		t.Fatalf("Build wrote: %+v", w)
	}
	want := map[string]struct {
		region, target, prefix string
		action                 logging.Action
	}{
		"app-a":        {"us-east-1", acct + "-s3-access-logs-us-east-1", "app-a/", logging.ActionEnable},
		"app-b":        {"eu-west-1", acct + "-s3-access-logs-eu-west-1", "app-b/", logging.ActionEnable},
		"app-c":        {"ap-southeast-2", acct + "-s3-access-logs-ap-southeast-2", "app-c/", logging.ActionEnable},
		"central-logs": {"us-east-1", acct + "-s3-access-logs-us-east-1", "central-logs/", logging.ActionEnable},
		"legacy":       {"us-east-1", "", "", logging.ActionSkip},
	}
	if len(p.Sources) != len(want) {
		t.Fatalf("%d sources, want %d", len(p.Sources), len(want))
	}
	for _, src := range p.Sources {
		w := want[src.Bucket]
		if src.Region != w.region || src.Want.Bucket != w.target || src.Want.Prefix != w.prefix || src.Action != w.action || src.Err != nil {
			t.Errorf("%s: region %s want %s %q action %s err %v; want %+v", src.Bucket, src.Region, src.Want.Bucket, src.Want.Prefix, src.Action, src.Err, w)
		}
	}
	leg := source(t, p, "legacy")
	if leg.Current == nil || leg.Current.Bucket != "central-logs" || leg.Current.Prefix != "legacy/" || !strings.Contains(leg.Reason, "s3://central-logs/legacy/") {
		t.Errorf("legacy: current %+v reason %q", leg.Current, leg.Reason)
	}
	if len(p.Targets) != 3 {
		t.Fatalf("targets %+v", p.Targets)
	}
	regions := []string{"ap-southeast-2", "eu-west-1", "us-east-1"}
	for i, tg := range p.Targets {
		if tg.Region != regions[i] || tg.Bucket != acct+"-s3-access-logs-"+regions[i] || tg.Exists || tg.Policy == nil || tg.Lifecycle == nil || tg.Err != nil {
			t.Errorf("target %d: %+v", i, tg)
		}
	}
	if !p.Changes() {
		t.Error("Changes() = false for a plan that enables four buckets")
	}
}

// policy is the bucket policy shape the tests check, field by field.
type policy struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Principal json.RawMessage
		Action    string
		Resource  json.RawMessage
		Condition map[string]map[string]string
	}
}

func TestApplyAndIdempotence(t *testing.T) {
	s := world(t)
	layout, err := logging.ParseLayout("partitioned", "delivery")
	if err != nil {
		t.Fatal(err)
	}
	p := build(t, s, logging.Config{ExpireDays: 90, Layout: layout})
	if err := p.Apply(context.Background(), clientsOf(s)); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	targets := map[string]string{ // region -> logging bucket
		"us-east-1": acct + "-s3-access-logs-us-east-1", "eu-west-1": acct + "-s3-access-logs-eu-west-1",
		"ap-southeast-2": acct + "-s3-access-logs-ap-southeast-2",
	}
	sourcesOf := map[string][]string{"us-east-1": {"app-a", "central-logs"}, "eu-west-1": {"app-b"}, "ap-southeast-2": {"app-c"}}
	for region, tb := range targets {
		b, ok := s.Get(tb)
		if !ok {
			t.Errorf("logging bucket %s not created", tb)
			continue
		}
		if b.Region != region {
			t.Errorf("%s created in %s, want %s", tb, b.Region, region)
		}
		if pab := b.PublicAccessBlock; pab == nil || !pab.BlockPublicAcls || !pab.IgnorePublicAcls || !pab.BlockPublicPolicy || !pab.RestrictPublicBuckets {
			t.Errorf("%s public access block %+v", tb, pab)
		}
		if b.SSEAlgorithm != "AES256" {
			t.Errorf("%s encryption %q, want AES256", tb, b.SSEAlgorithm)
		}
		if b.Logging != nil {
			t.Errorf("logging bucket %s logs to %+v", tb, b.Logging)
		}
		if lc := b.Lifecycle; lc == nil || len(lc.Rules) != 1 || lc.Rules[0].ExpirationDays != 90 || lc.Rules[0].Status != "Enabled" || !lc.Rules[0].HasFilter || lc.Rules[0].Prefix != "" {
			t.Errorf("%s lifecycle %+v", tb, b.Lifecycle)
		}

		var pol policy
		if err := json.Unmarshal([]byte(b.Policy), &pol); err != nil {
			t.Fatalf("%s policy %q: %v", tb, b.Policy, err)
		}
		if pol.Version != "2012-10-17" {
			t.Errorf("%s policy version %q", tb, pol.Version)
		}
		allows := map[string]bool{}
		sids := map[string]bool{}
		for _, st := range pol.Statement {
			if sids[st.Sid] || st.Sid == "" {
				t.Errorf("%s: empty or duplicate Sid %q", tb, st.Sid)
			}
			sids[st.Sid] = true
			if st.Effect == "Deny" {
				var res []string
				json.Unmarshal(st.Resource, &res)
				if string(st.Principal) != `"*"` || st.Action != "s3:*" || st.Condition["Bool"]["aws:SecureTransport"] != "false" ||
					len(res) != 2 || res[0] != "arn:aws:s3:::"+tb || res[1] != "arn:aws:s3:::"+tb+"/*" {
					t.Errorf("%s deny statement %+v", tb, st)
				}
				continue
			}
			var principal map[string]string
			var res string
			if err := json.Unmarshal(st.Principal, &principal); err != nil || len(principal) != 1 || principal["Service"] != "logging.s3.amazonaws.com" {
				t.Errorf("%s principal %s", tb, st.Principal)
			}
			if err := json.Unmarshal(st.Resource, &res); err != nil {
				t.Errorf("%s resource %s", tb, st.Resource)
			}
			src := strings.TrimPrefix(st.Condition["ArnLike"]["aws:SourceArn"], "arn:aws:s3:::")
			if st.Effect != "Allow" || st.Action != "s3:PutObject" || res != "arn:aws:s3:::"+tb+"/"+src+"/*" ||
				st.Condition["StringEquals"]["aws:SourceAccount"] != acct || len(st.Condition) != 2 {
				t.Errorf("%s allow statement %+v resource %s", tb, st, res)
			}
			allows[src] = true
		}
		if len(allows) != len(sourcesOf[region]) || len(pol.Statement) != len(sourcesOf[region])+1 {
			t.Errorf("%s grants %v, want %v and one deny", tb, allows, sourcesOf[region])
		}
		for _, src := range sourcesOf[region] {
			if !allows[src] {
				t.Errorf("%s does not grant %s", tb, src)
			}
			b, _ := s.Get(src)
			if l := b.Logging; l == nil || l.TargetBucket != tb || l.TargetPrefix != src+"/" || l.Format != "partitioned" || l.DateSource != "DeliveryTime" {
				t.Errorf("%s logging %+v", src, l)
			}
		}
	}
	if b, _ := s.Get("legacy"); b.Logging.TargetBucket != "central-logs" {
		t.Errorf("legacy reconfigured without --force: %+v", b.Logging)
	}
	// Every bucket call went to a client of the bucket's region.
	for _, c := range s.Calls() {
		if c.Err != "" && !(c.Op == "GetBucketLocation" && c.Err == "NoSuchBucket" && strings.HasPrefix(c.Bucket, acct)) {
			t.Errorf("call %s %s (signed %s) failed: %s", c.Op, c.Bucket, c.Region, c.Err)
		}
		if strings.HasPrefix(c.Op, "Put") {
			b, _ := s.Get(c.Bucket)
			if c.Region != b.Region {
				t.Errorf("%s %s signed for %s, bucket in %s", c.Op, c.Bucket, c.Region, b.Region)
			}
		}
	}

	// A second run finds nothing to do and writes nothing.
	before := len(s.Writes())
	p2 := build(t, s, logging.Config{ExpireDays: 90, Layout: layout})
	if p2.Changes() {
		t.Errorf("second plan has changes: %+v %+v", p2.Sources, p2.Targets)
	}
	for _, src := range p2.Sources {
		if want := map[string]logging.Action{"legacy": logging.ActionSkip}[src.Bucket]; want != "" && src.Action != want || want == "" && src.Action != logging.ActionNone && !strings.HasPrefix(src.Bucket, acct) {
			t.Errorf("second run: %s action %s", src.Bucket, src.Action)
		}
		if strings.HasPrefix(src.Bucket, acct) && src.Action != logging.ActionSkipSelf {
			t.Errorf("second run: logging bucket %s action %s, want skip-self", src.Bucket, src.Action)
		}
	}
	if err := p2.Apply(context.Background(), clientsOf(s)); err != nil {
		t.Fatal(err)
	}
	if after := len(s.Writes()); after != before {
		t.Errorf("second run wrote %d calls: %+v", after-before, s.Writes()[before:])
	}
}

func TestForceAndPolicyMerge(t *testing.T) {
	s := world(t)
	tb := acct + "-s3-access-logs-us-east-1"
	s.AddBucket(tb, "us-east-1")
	other := `{"Sid":"KeepMe","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + tb + `/*"}`
	s.SetPolicy(tb, `{"Version":"2012-10-17","Id":"mine","Statement":[`+other+`]}`)
	p := build(t, s, logging.Config{Force: true, Buckets: []string{"legacy", "app-a", tb}})
	if a := source(t, p, "legacy").Action; a != logging.ActionUpdate {
		t.Errorf("legacy with --force: %s", a)
	}
	if a := source(t, p, tb).Action; a != logging.ActionSkipSelf {
		t.Errorf("logging bucket as source: %s", a)
	}
	if len(p.Targets) != 1 || !p.Targets[0].Exists {
		t.Fatalf("targets %+v", p.Targets)
	}
	if err := p.Apply(context.Background(), clientsOf(s)); err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Writes() {
		if c.Op == "CreateBucket" || c.Op == "PutPublicAccessBlock" || c.Op == "PutBucketEncryption" || c.Op == "PutBucketLifecycleConfiguration" {
			t.Errorf("unexpected %s %s on an existing bucket without --expire-after", c.Op, c.Bucket)
		}
	}
	b, _ := s.Get(tb)
	var doc map[string]any
	if err := json.Unmarshal([]byte(b.Policy), &doc); err != nil {
		t.Fatal(err)
	}
	stmts := doc["Statement"].([]any)
	if doc["Id"] != "mine" || len(stmts) != 4 { // KeepMe, legacy, app-a, deny
		t.Fatalf("merged policy %s", b.Policy)
	}
	kept, _ := json.Marshal(stmts[0])
	var a, w any
	json.Unmarshal(kept, &a)
	json.Unmarshal([]byte(other), &w)
	if !jsonEqual(a, w) {
		t.Errorf("foreign statement changed: %s", kept)
	}
	if l, _ := s.Get("legacy"); l.Logging.TargetBucket != tb || l.Logging.TargetPrefix != "legacy/" || l.Logging.Format != "simple" {
		t.Errorf("legacy after --force: %+v", l.Logging)
	}
	if b, _ := s.Get(tb); b.Logging != nil {
		t.Errorf("logging bucket logs: %+v", b.Logging)
	}

	// Enabling one more bucket later keeps the first ones' grants.
	p = build(t, s, logging.Config{Buckets: []string{"central-logs"}})
	if err := p.Apply(context.Background(), clientsOf(s)); err != nil {
		t.Fatal(err)
	}
	b, _ = s.Get(tb)
	for _, src := range []string{"legacy", "app-a", "central-logs"} {
		if !strings.Contains(b.Policy, `"arn:aws:s3:::`+src+`"`) {
			t.Errorf("policy lost the grant for %s: %s", src, b.Policy)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestFailureDoesNotStopOthers(t *testing.T) {
	s := world(t)
	s.Fail("PutBucketLogging", "app-b", "AccessDenied")
	s.Fail("CreateBucket", acct+"-s3-access-logs-ap-southeast-2", "AccessDenied")
	s.Fail("GetBucketLogging", "central-logs", "AccessDenied")
	p := build(t, s, logging.Config{})
	if src := source(t, p, "central-logs"); src.Action != logging.ActionError || src.Err == nil {
		t.Errorf("central-logs inspect failure: %+v", src)
	}
	err := p.Apply(context.Background(), clientsOf(s))
	if !errors.Is(err, logging.ErrFailed) {
		t.Fatalf("Apply error %v, want ErrFailed", err)
	}
	if p.Failed() != 3 {
		t.Errorf("Failed() = %d, want 3 (app-b, app-c, central-logs)", p.Failed())
	}
	for _, name := range []string{"app-b", "app-c", "central-logs"} {
		src := source(t, p, name)
		if src.Err == nil || !strings.Contains(src.Err.Error(), "AccessDenied") || src.Applied {
			t.Errorf("%s: err %v applied %v", name, src.Err, src.Applied)
		}
	}
	if src := source(t, p, "app-a"); src.Err != nil || !src.Applied {
		t.Errorf("app-a: %+v", src)
	}
	if b, _ := s.Get("app-a"); b.Logging == nil || b.Logging.TargetBucket != acct+"-s3-access-logs-us-east-1" {
		t.Errorf("app-a not configured: %+v", b.Logging)
	}
	for _, name := range []string{"app-b", "app-c"} {
		if b, _ := s.Get(name); b.Logging != nil {
			t.Errorf("%s configured despite failure: %+v", name, b.Logging)
		}
	}
	// app-c's region failed at CreateBucket: nothing was put on it.
	for _, c := range s.Writes() {
		if c.Bucket == "app-c" {
			t.Errorf("wrote %s to app-c whose logging bucket failed", c.Op)
		}
	}
}

func TestBuildConfigErrors(t *testing.T) {
	s := world(t)
	for _, cfg := range []logging.Config{
		{Account: acct, TargetBucket: "{account}-logs"},     // same bucket for three regions
		{Account: acct, TargetBucket: "{account}-{bucket}"}, // {bucket} not allowed
		{Account: acct, TargetPrefix: "{nope}/"},            // unknown placeholder
		{Account: acct, TargetBucket: "Logs-{region}"},      // invalid bucket name
		{Account: ""},                   // no account
		{Account: acct, ExpireDays: -1}, // negative
		{Account: acct, Layout: logging.Layout{Partitioned: true, Date: "Tuesday"}},
	} {
		_, err := logging.Build(context.Background(), clientsOf(s), cfg)
		if !errors.Is(err, logging.ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", cfg, err)
		}
	}
	if w := s.Writes(); len(w) != 0 {
		t.Errorf("config errors wrote %+v", w)
	}
}

func TestTargetInWrongRegion(t *testing.T) {
	s := world(t)
	s.AddBucket("logs-eu-west-1", "us-east-1") // name says eu, lives in us
	p := build(t, s, logging.Config{TargetBucket: "logs-{region}", Buckets: []string{"app-b", "app-a"}})
	if src := source(t, p, "app-b"); src.Err == nil || !strings.Contains(src.Err.Error(), "exists in us-east-1") {
		t.Errorf("app-b: %+v", src)
	}
	if src := source(t, p, "app-a"); src.Err != nil || src.Action != logging.ActionEnable {
		t.Errorf("app-a: %+v", src)
	}
}

func TestPrefixFilterAndSource(t *testing.T) {
	s := world(t)
	p := build(t, s, logging.Config{PrefixFilter: "app-", TargetPrefix: "logs/{bucket}/"})
	if len(p.Sources) != 3 {
		t.Fatalf("sources %+v", p.Sources)
	}
	src := source(t, p, "app-b")
	if got := src.Want.Source(acct, src.Region, src.Bucket); got != "s3://"+acct+"-s3-access-logs-eu-west-1/logs/app-b/" {
		t.Errorf("simple source %s", got)
	}
	d := logging.Destination{Bucket: "lb", Prefix: "p/", Layout: logging.Layout{Partitioned: true}}
	if got := d.Source(acct, "eu-west-1", "app-b"); got != "s3://lb/p/"+acct+"/eu-west-1/app-b/" {
		t.Errorf("partitioned source %s", got)
	}
}
