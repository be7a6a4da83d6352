package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// awsEnv clears every AWS setting of the environment and the home directory
// (so that the machine's ~/.aws is not read), then sets the credentials
// akid and secret ("" for none) and the region us-west-2.
func awsEnv(t *testing.T, akid, secret string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_SDK_LOAD_CONFIG", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "POSEIDON_URL", "POSEIDON_ADDR"} {
		t.Setenv(k, "")
	}
	// No instance metadata service to ask for credentials.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", akid)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", region)
}

// deadURL is the URL of a port nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// writeFile writes body to a new file named name and returns its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAWSEndpointPrecedence runs "poseidon status" with the endpoint set
// in each place the AWS SDKs read it from, every place of lower precedence
// naming a dead port and every place of higher precedence unset: only the
// right source reaches the server.
func TestAWSEndpointPrecedence(t *testing.T) {
	setAWSEnv(t, acctA, "secret")
	s := startServer(t, "")
	if _, stderr, err := runSeed(t, "--endpoint", s.URL, "--servers", "2", "--hours", "1", "-q"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	live, dead := s.URL, deadURL(t)
	// set and config take the subtest's t: the variables they set are
	// restored when the subtest ends (with the parent's t they would be
	// restored to the subtest's values, after its own restore, and leak
	// into the rest of the package's tests and the processes they start).
	config := func(t *testing.T, body string) {
		t.Setenv("AWS_CONFIG_FILE", writeFile(t, "config", body))
	}
	for _, tc := range []struct {
		name   string
		set    func(t *testing.T)
		args   []string
		source string
	}{
		{"flag", func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE", dead)
			t.Setenv("AWS_ENDPOINT_URL", dead)
		}, []string{"--endpoint-url", live}, "--endpoint-url"},
		{"service env", func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE", live)
			t.Setenv("AWS_ENDPOINT_URL", dead)
			config(t, "[default]\nendpoint_url = "+dead+"\n")
		}, nil, "AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE"},
		{"global env", func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL", live)
			config(t, "[default]\nservices = s\nendpoint_url = "+dead+"\n[services s]\napplication_discovery_service =\n  endpoint_url = "+dead+"\n")
		}, nil, "AWS_ENDPOINT_URL"},
		{"services section", func(t *testing.T) {
			t.Setenv("AWS_PROFILE", "p")
			t.Setenv("POSEIDON_URL", dead)
			config(t, "[profile p]\nservices = local\nendpoint_url = "+dead+"\n\n[services local]\n# poseidon\napplication_discovery_service =\n  endpoint_url = "+live+"\nec2 =\n  endpoint_url = "+dead+"\n")
		}, nil, "[services local]"},
		{"profile endpoint_url", func(t *testing.T) {
			t.Setenv("POSEIDON_URL", dead)
			config(t, "[profile other]\nendpoint_url = "+dead+"\n[default]\nendpoint_url = "+live+"\n")
		}, nil, "endpoint_url of profile default"},
		{"--profile", func(t *testing.T) {
			// An explicit profile's credentials win over the
			// environment's, as in the AWS SDKs and CLI.
			t.Setenv("AWS_ACCESS_KEY_ID", acctB)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", writeFile(t, "credentials", "[q]\naws_access_key_id = "+acctA+"\naws_secret_access_key = x\n"))
			config(t, "[default]\nendpoint_url = "+dead+"\n[profile q]\nendpoint_url = "+live+"\n")
		}, []string{"--profile", "q"}, "endpoint_url of profile q"},
		{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", func(t *testing.T) {
			t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
			t.Setenv("AWS_ENDPOINT_URL", dead)
			config(t, "[default]\nendpoint_url = "+dead+"\n")
			t.Setenv("POSEIDON_URL", live)
		}, nil, "POSEIDON_URL"},
		{"ignore_configured_endpoint_urls", func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE", dead)
			config(t, "[default]\nignore_configured_endpoint_urls = true\nendpoint_url = "+dead+"\n")
			t.Setenv("POSEIDON_URL", live)
		}, nil, "POSEIDON_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			awsEnv(t, acctA, "secret")
			tc.set(t)
			out, stderr, err := runCLI(t, append([]string{"status"}, tc.args...)...)
			if err != nil {
				t.Fatalf("status: %v\n%s%s", err, out, stderr)
			}
			if !strings.Contains(out, "server      "+live+" (from "+tc.source) {
				t.Errorf("status names another endpoint or source than %s:\n%s", tc.source, out)
			}
			if !strings.Contains(out, "servers     2\n") || !strings.Contains(out, "access key "+acctA) {
				t.Errorf("status does not show account A's 2 servers:\n%s", out)
			}
		})
	}
}

// TestAWSProfileCredentials: credentials and region from a profile of the
// shared files, chosen by AWS_PROFILE; a profile that is nowhere, and no
// credentials or region at all, are told with what to set.
func TestAWSProfileCredentials(t *testing.T) {
	setAWSEnv(t, acctB, "secret")
	s := startServer(t, "")
	if _, stderr, err := runSeed(t, "--endpoint", s.URL, "--servers", "3", "--hours", "1", "-q"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}

	awsEnv(t, "", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", writeFile(t, "credentials", "[default]\naws_access_key_id = "+acctA+"\naws_secret_access_key = x\n[b]\naws_access_key_id = "+acctB+"\naws_secret_access_key = y\n"))
	t.Setenv("AWS_CONFIG_FILE", writeFile(t, "config", "[profile b]\nregion = "+region+"\nendpoint_url = "+s.URL+"\n"))
	t.Setenv("AWS_PROFILE", "b")
	out, stderr, err := runCLI(t, "status")
	if err != nil {
		t.Fatalf("status with profile b: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(out, "access key "+acctB+", region "+region) || !strings.Contains(out, "servers     3\n") || !strings.Contains(out, "3 total") {
		t.Errorf("status with profile b does not show account B's fleet:\n%s", out)
	}

	t.Setenv("AWS_PROFILE", "nowhere")
	if _, _, err := runCLI(t, "status", "--endpoint-url", s.URL); err == nil || !strings.Contains(err.Error(), `profile "nowhere" is in neither`) {
		t.Errorf("status with a missing profile: %v", err)
	}

	// The default profile has credentials but no region.
	t.Setenv("AWS_PROFILE", "")
	if _, _, err := runCLI(t, "status", "--endpoint-url", s.URL); err == nil || !strings.Contains(err.Error(), "set AWS_REGION") {
		t.Errorf("status without a region: %v, want it to say to set AWS_REGION", err)
	}

	// No credentials anywhere: the health part is shown, then what to set.
	awsEnv(t, "", "")
	out, _, err = runCLI(t, "status", "--endpoint-url", s.URL)
	if err == nil || !strings.Contains(err.Error(), "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") || !strings.Contains(err.Error(), "missing: "+credentialsFile()) {
		t.Errorf("status without credentials: %v", err)
	}
	if !strings.Contains(out, "health      ok") {
		t.Errorf("status without credentials shows no health:\n%s", out)
	}
	if _, _, err := runCLI(t, "export", "--endpoint-url", s.URL); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Errorf("export without credentials: %v", err)
	}
}

// TestStatusNoServer: status against a port nothing listens on says so.
func TestStatusNoServer(t *testing.T) {
	awsEnv(t, acctA, "x")
	dead := deadURL(t)
	_, _, err := runCLI(t, "status", "--endpoint-url", dead)
	if err == nil || !strings.Contains(err.Error(), "no poseidon server answers at "+dead) {
		t.Errorf("status against a closed port: %v", err)
	}
}
