package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	"github.com/aws/aws-sdk-go/aws/session"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// awsFlags are the flags of the commands that call a server as an AWS
// client does (export, status). Everything else follows the AWS SDKs'
// conventions: credentials, region and profile from the environment and
// the shared config and credentials files, read by aws-sdk-go's session;
// the endpoint as resolveEndpoint says.
type awsFlags struct {
	EndpointURL string `name:"endpoint-url" placeholder:"URL" help:"Server URL. Default: AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE, AWS_ENDPOINT_URL, the profile's services section or endpoint_url, POSEIDON_URL, else http://127.0.0.1:8470."`
	Profile     string `placeholder:"NAME" help:"Profile of the shared config and credentials files (default: AWS_PROFILE, else default)."`
	Region      string `placeholder:"REGION" help:"Region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region)."`
}

// adsServiceID is Application Discovery Service's identifier in the
// service-specific endpoint settings (AWS_ENDPOINT_URL_<ID> and a services
// section's key).
const adsServiceID = "application_discovery_service"

// endpoint is a resolved endpoint URL and where it came from.
type endpoint struct {
	URL, Source string
}

// adsClient is an ADS client of aws-sdk-go v1 for the flags, with the
// endpoint it calls. It checks the region and the credentials first, so
// that their absence is told with what to set.
func (f *awsFlags) adsClient() (*ads.ApplicationDiscoveryService, endpoint, error) {
	ep, err := f.endpoint()
	if err != nil {
		return nil, ep, err
	}
	if err := f.checkProfile(); err != nil {
		return nil, ep, err
	}
	cfg := aws.NewConfig().WithEndpoint(ep.URL)
	if f.Region != "" {
		cfg = cfg.WithRegion(f.Region)
	}
	sess, err := session.NewSessionWithOptions(session.Options{Config: *cfg, Profile: f.Profile, SharedConfigState: session.SharedConfigEnable})
	if err != nil {
		return nil, ep, fmt.Errorf("AWS configuration: %w", err)
	}
	if aws.StringValue(sess.Config.Region) == "" {
		return nil, ep, fmt.Errorf("no region: set AWS_REGION (poseidon's default home region is us-west-2), give --region, or set region in the profile %q of %s", f.profile(), configFile())
	}
	if _, err := sess.Config.Credentials.Get(); err != nil {
		return nil, ep, f.credentialsError(err)
	}
	return ads.New(sess), ep, nil
}

// credentialsError says what to set when the SDK found no credentials.
func (f *awsFlags) credentialsError(err error) error {
	var ae awserr.Error
	if !errors.As(err, &ae) || ae.Code() != "NoCredentialProviders" {
		return fmt.Errorf("AWS credentials: %w", err)
	}
	var missing []string
	for _, p := range []string{credentialsFile(), configFile()} {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			missing = append(missing, p)
		}
	}
	msg := fmt.Sprintf("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (or --profile) naming a profile with aws_access_key_id and aws_secret_access_key in %s "+
		"(an open-mode poseidon takes any secret, and a 12-digit access key ID as the account: AWS_ACCESS_KEY_ID=111111111111 AWS_SECRET_ACCESS_KEY=x; a strict-mode one, a key of its --credentials file); looked for profile %q",
		credentialsFile(), f.profile())
	if len(missing) > 0 {
		msg += "; missing: " + strings.Join(missing, ", ")
	}
	return errors.New(msg)
}

// checkProfile refuses a profile named by --profile, AWS_PROFILE or
// AWS_DEFAULT_PROFILE that neither shared file has (aws-sdk-go v1 would
// silently go on without it when the environment names it).
func (f *awsFlags) checkProfile() error {
	name := f.profile()
	if name == "default" {
		return nil
	}
	for _, sec := range []struct{ path, name string }{{configFile(), "profile " + name}, {credentialsFile(), name}} {
		found, err := hasSection(sec.path, sec.name)
		if found || err != nil {
			return err
		}
	}
	return fmt.Errorf("profile %q is in neither %s nor %s: add it there, or unset AWS_PROFILE (or --profile) to use the default one", name, configFile(), credentialsFile())
}

// profile is the profile in use: --profile, AWS_PROFILE, AWS_DEFAULT_PROFILE
// (as aws-sdk-go v1 reads them), else "default".
func (f *awsFlags) profile() string {
	for _, p := range []string{f.Profile, os.Getenv("AWS_PROFILE"), os.Getenv("AWS_DEFAULT_PROFILE")} {
		if p != "" {
			return p
		}
	}
	return "default"
}

// configFile is the shared config file: AWS_CONFIG_FILE, else ~/.aws/config.
func configFile() string {
	if p := os.Getenv("AWS_CONFIG_FILE"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".aws", "config")
}

// credentialsFile is the shared credentials file: AWS_SHARED_CREDENTIALS_FILE,
// else ~/.aws/credentials.
func credentialsFile() string {
	if p := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".aws", "credentials")
}

// endpoint resolves the endpoint URL as the AWS SDKs do for
// service-specific endpoints (aws-sdk-go v1 reads none of these settings):
// --endpoint-url; then, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the
// profile's ignore_configured_endpoint_urls is true,
// AWS_ENDPOINT_URL_APPLICATION_DISCOVERY_SERVICE, AWS_ENDPOINT_URL, the
// profile's services section (application_discovery_service =
// endpoint_url = URL), the profile's endpoint_url. Where the SDKs would
// then call AWS, poseidon's commands call poseidon: POSEIDON_URL, else the
// server's default address.
func (f *awsFlags) endpoint() (endpoint, error) {
	if f.EndpointURL != "" {
		return endpoint{f.EndpointURL, "--endpoint-url"}, nil
	}
	prof, err := readProfile(configFile(), f.profile())
	if err != nil {
		return endpoint{}, err
	}
	if !isTrue(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) && !isTrue(prof.get("ignore_configured_endpoint_urls")) {
		if u := os.Getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(adsServiceID)); u != "" {
			return endpoint{u, "AWS_ENDPOINT_URL_" + strings.ToUpper(adsServiceID)}, nil
		}
		if u := os.Getenv("AWS_ENDPOINT_URL"); u != "" {
			return endpoint{u, "AWS_ENDPOINT_URL"}, nil
		}
		if name := prof.get("services"); name != "" {
			svc, err := readSection(configFile(), "services "+name)
			if err != nil {
				return endpoint{}, err
			}
			if u := svc.get(adsServiceID + ".endpoint_url"); u != "" {
				return endpoint{u, fmt.Sprintf("[services %s] of %s", name, configFile())}, nil
			}
		}
		if u := prof.get("endpoint_url"); u != "" {
			return endpoint{u, fmt.Sprintf("endpoint_url of profile %s in %s", f.profile(), configFile())}, nil
		}
	}
	if u := os.Getenv("POSEIDON_URL"); u != "" {
		return endpoint{u, "POSEIDON_URL"}, nil
	}
	u, err := urlOfAddr(os.Getenv("POSEIDON_ADDR"))
	return endpoint{u, "default"}, err
}

func isTrue(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// iniSection is a section of the shared config file: its keys, and the
// sub-keys of a key with nested settings as "key.sub".
type iniSection map[string]string

func (s iniSection) get(k string) string { return s[k] }

// readProfile reads the profile's section of the config file: [default]
// (or [profile default]) for default, [profile NAME] otherwise. A missing
// file or section is an empty one.
func readProfile(path, name string) (iniSection, error) {
	if name == "default" {
		s, err := readSection(path, "default")
		if err != nil || len(s) > 0 {
			return s, err
		}
	}
	return readSection(path, "profile "+name)
}

// hasSection reports whether the file at path has a section [name].
func hasSection(path, name string) (bool, error) {
	found := false
	err := scanINI(path, func(section, _, _ string, header bool) {
		found = found || header && section == name
	})
	return found, err
}

// readSection reads one section of an AWS shared config file, in the
// format the SDKs read: "[name]" headers, "key = value" lines, comments
// starting with # or ;, and indented "sub = value" lines under a key
// without a value.
func readSection(path, name string) (iniSection, error) {
	out := iniSection{}
	parent := ""
	err := scanINI(path, func(section, line, raw string, header bool) {
		if header || section != name {
			parent = ""
			return
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case raw[0] == ' ' || raw[0] == '\t':
			if parent != "" {
				out[parent+"."+k] = v
			}
		case v == "":
			parent = k
		default:
			out[k], parent = v, ""
		}
	})
	return out, err
}

// scanINI calls fn with each section header (header true) and each other
// line that is no comment, trimmed and raw, with the section it is in. A
// missing file has none.
func scanINI(path string, fn func(section, line, raw string, header bool)) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			section = strings.Join(strings.Fields(strings.Trim(line, "[]")), " ")
			fn(section, line, raw, true)
			continue
		}
		fn(section, line, raw, false)
	}
	return sc.Err()
}
