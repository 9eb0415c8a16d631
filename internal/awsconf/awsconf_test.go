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
