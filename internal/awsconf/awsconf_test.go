package awsconf

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// AWS_CA_BUNDLE must keep working with our tuned HTTP client: the SDK
// refuses to add a CA bundle to a plain *http.Client.
func TestLoadWithCABundle(t *testing.T) {
	// A self-signed CA in PEM form is enough for the SDK to load it.
	pem := filepath.Join("testdata", "ca.pem")
	if _, err := os.Stat(pem); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", pem)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	cfg, err := Load(context.Background(), Options{Region: "eu-west-1"})
	if err != nil {
		t.Fatalf("Load with AWS_CA_BUNDLE: %v", err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region %q", cfg.Region)
	}
}

// A custom endpoint is found wherever the AWS CLI would find it, and
// then addressed path-style.
func TestCustomEndpoint(t *testing.T) {
	dir := t.TempDir()
	top := filepath.Join(dir, "top")
	services := filepath.Join(dir, "services")
	os.WriteFile(top, []byte("[default]\nendpoint_url = http://localhost:1\n"), 0o600)
	os.WriteFile(services, []byte("[profile p]\nservices = s\n[services s]\ns3 =\n  endpoint_url = http://localhost:2\n"), 0o600)
	f := func(name string, env map[string]string, o Options, want string) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
				"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_PROFILE": "",
				"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "", "AWS_CA_BUNDLE": ""} {
				t.Setenv(k, v)
			}
			for k, v := range env {
				t.Setenv(k, v)
			}
			cfg, err := Load(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			c := S3(cfg, o)
			opts := c.Options()
			got := ""
			if opts.BaseEndpoint != nil {
				got = *opts.BaseEndpoint
			}
			if got != want || CustomEndpoint(c) != (want != "") || opts.UsePathStyle != (want != "") {
				t.Errorf("endpoint %q path-style %v custom %v; want %q", got, opts.UsePathStyle, CustomEndpoint(c), want)
			}
		})
	}
	f("AWS", nil, Options{}, "")
	f("flag", nil, Options{Endpoint: "http://localhost:9"}, "http://localhost:9")
	f("AWS_ENDPOINT_URL_S3", map[string]string{"AWS_ENDPOINT_URL_S3": "http://localhost:3"}, Options{}, "http://localhost:3")
	f("AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": "http://localhost:4"}, Options{}, "http://localhost:4")
	f("flag over environment", map[string]string{"AWS_ENDPOINT_URL_S3": "http://localhost:3"}, Options{Endpoint: "http://localhost:9"}, "http://localhost:9")
	f("profile endpoint_url", map[string]string{"AWS_CONFIG_FILE": top}, Options{}, "http://localhost:1")
	f("profile services section", map[string]string{"AWS_CONFIG_FILE": services}, Options{Profile: "p"}, "http://localhost:2")
}
