package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// appRows returns ListConfigurations APPLICATION rows by application ID.
func appRows(t *testing.T, c *ads.ApplicationDiscoveryService) map[string]map[string]string {
	t.Helper()
	rows, _ := listAllConfigurations(t, c, &ads.ListConfigurationsInput{ConfigurationType: aws.String("APPLICATION")}, 2)
	out := map[string]map[string]string{}
	for _, r := range rows {
		out[r["application.configurationId"]] = r
	}
	return out
}

func describeOne(t *testing.T, c *ads.ApplicationDiscoveryService, id string) map[string]string {
	t.Helper()
	out, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{id})})
	if err != nil || len(out.Configurations) != 1 {
		t.Fatalf("DescribeConfigurations %s: %v %v", id, err, out)
	}
	return strs(out.Configurations[0])
}

// serverAppNames returns the names in a server's server.applications.
func serverAppNames(t *testing.T, c *ads.ApplicationDiscoveryService, id string) []string {
	t.Helper()
	var apps []struct{ Name string }
	if err := json.Unmarshal([]byte(describeOne(t, c, id)["server.applications"]), &apps); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	return names
}

func summary(t *testing.T, c *ads.ApplicationDiscoveryService) (apps, mapped int64) {
	t.Helper()
	out, err := c.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.Int64Value(out.Applications), aws.Int64Value(out.ServersMappedToApplications)
}

// summaryCSV exports the summary and returns the rows of one file as maps.
func summaryCSV(t *testing.T, c *ads.ApplicationDiscoveryService, file string) []map[string]string {
	t.Helper()
	_, members := exportZip(t, c, &ads.StartExportTaskInput{})
	header, rows := parseCSV(t, members[acctA+"_"+file])
	var out []map[string]string
	for _, r := range rows {
		m := map[string]string{}
		for i, h := range header {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestApplicationOperations(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	web1, db1, web2 := srv["web-1.example.com"], srv["db-1.example.com"], srv["web-2.example.com"]
	c := client(t, s.URL, acctA, "x")

	// aws-sdk-go v1 predates wave: send it raw.
	var raw struct{ ConfigurationId string }
	if err := json.Unmarshal(rawCall(t, s.URL, "CreateApplication", `{"name":"Payments","description":"Card payments","wave":"wave 1"}`), &raw); err != nil {
		t.Fatal(err)
	}
	pay := raw.ConfigurationId
	if !strings.HasPrefix(pay, "d-application-") || len(pay) != len("d-application-")+17 {
		t.Fatalf("configurationId %q", pay)
	}
	created, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("Web Store")})
	if err != nil {
		t.Fatal(err)
	}
	store := aws.StringValue(created.ConfigurationId)
	if _, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("Web Store")}); err != nil { // duplicate names allowed
		t.Fatal(err)
	}
	rows := appRows(t, c)
	var dup string
	for id := range rows {
		if id != pay && id != store {
			dup = id
		}
	}
	if len(rows) != 3 || rows[pay]["application.serverCount"] != "0" || rows[pay]["application.name"] != "Payments" ||
		rows[pay]["application.description"] != "Card payments" || rows[store]["application.description"] != "" {
		t.Fatalf("applications %v", rows)
	}
	if _, err := c.DeleteApplications(&ads.DeleteApplicationsInput{ConfigurationIds: aws.StringSlice([]string{dup})}); err != nil {
		t.Fatal(err)
	}

	created0 := rows[pay]["application.timeOfCreation"]
	advance(t, s.URL, time.Hour)
	if _, err := c.AssociateConfigurationItemsToApplication(&ads.AssociateConfigurationItemsToApplicationInput{
		ApplicationConfigurationId: aws.String(pay), ConfigurationIds: aws.StringSlice([]string{web1, db1})}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssociateConfigurationItemsToApplication(&ads.AssociateConfigurationItemsToApplicationInput{
		ApplicationConfigurationId: aws.String(store), ConfigurationIds: aws.StringSlice([]string{web1})}); err != nil {
		t.Fatal(err)
	}
	d := describeOne(t, c, pay)
	if d["application.serverCount"] != "2" || d["application.timeOfCreation"] != created0 || d["application.lastModifiedTime"] == created0 {
		t.Fatalf("after associate %v (created %s)", d, created0)
	}
	if got := serverAppNames(t, c, web1); !slices.Equal(got, []string{"Payments", "Web Store"}) {
		t.Fatalf("web-1 applications %v", got)
	}
	if got := serverAppNames(t, c, web2); len(got) != 0 {
		t.Fatalf("web-2 applications %v", got)
	}
	if a, m := summary(t, c); a != 2 || m != 2 {
		t.Fatalf("summary apps=%d mapped=%d", a, m)
	}
	appCSV := summaryCSV(t, c, "Application.csv")
	if len(appCSV) != 2 {
		t.Fatalf("Application.csv %v", appCSV)
	}
	for _, r := range appCSV {
		if r["Id"] == pay && (r["wave"] != "wave 1" || r["serverCount"] != "2" || r["name"] != "Payments") {
			t.Fatalf("Application.csv row %v", r)
		}
	}
	if assoc := summaryCSV(t, c, "ApplicationResourceAssociation.csv"); len(assoc) != 3 {
		t.Fatalf("ApplicationResourceAssociation.csv %v", assoc)
	}

	// Update: name and wave change, description stays; lastModifiedTime moves.
	before := describeOne(t, c, pay)["application.lastModifiedTime"]
	advance(t, s.URL, time.Hour)
	rawCall(t, s.URL, "UpdateApplication", `{"configurationId":"`+pay+`","name":"Payments v2","wave":"wave 2"}`)
	d = describeOne(t, c, pay)
	if d["application.name"] != "Payments v2" || d["application.description"] != "Card payments" || d["application.lastModifiedTime"] == before {
		t.Fatalf("after update %v", d)
	}
	if got := serverAppNames(t, c, db1); !slices.Equal(got, []string{"Payments v2"}) {
		t.Fatalf("db-1 applications %v", got)
	}

	// Disassociate db-1: Payments keeps web-1 only.
	before = d["application.lastModifiedTime"]
	advance(t, s.URL, time.Hour)
	if _, err := c.DisassociateConfigurationItemsFromApplication(&ads.DisassociateConfigurationItemsFromApplicationInput{
		ApplicationConfigurationId: aws.String(pay), ConfigurationIds: aws.StringSlice([]string{db1})}); err != nil {
		t.Fatal(err)
	}
	if d = describeOne(t, c, pay); d["application.serverCount"] != "1" || d["application.lastModifiedTime"] == before {
		t.Fatalf("after disassociate %v", d)
	}
	if got := serverAppNames(t, c, db1); len(got) != 0 {
		t.Fatalf("db-1 applications %v", got)
	}
	if a, m := summary(t, c); a != 2 || m != 1 {
		t.Fatalf("summary apps=%d mapped=%d", a, m)
	}

	// Delete Web Store: its association goes with it.
	if _, err := c.DeleteApplications(&ads.DeleteApplicationsInput{ConfigurationIds: aws.StringSlice([]string{store})}); err != nil {
		t.Fatal(err)
	}
	if rows := appRows(t, c); len(rows) != 1 || rows[pay]["application.serverCount"] != "1" {
		t.Fatalf("applications after delete %v", rows)
	}
	if got := serverAppNames(t, c, web1); !slices.Equal(got, []string{"Payments v2"}) {
		t.Fatalf("web-1 applications %v", got)
	}
	if a, m := summary(t, c); a != 1 || m != 1 {
		t.Fatalf("summary apps=%d mapped=%d", a, m)
	}
	appCSV = summaryCSV(t, c, "Application.csv")
	assoc := summaryCSV(t, c, "ApplicationResourceAssociation.csv")
	if len(appCSV) != 1 || appCSV[0]["name"] != "Payments v2" || appCSV[0]["wave"] != "wave 2" ||
		len(assoc) != 1 || assoc[0]["configId"] != web1 || assoc[0]["applicationConfigurationId"] != pay || assoc[0]["applicationName"] != "Payments v2" {
		t.Fatalf("export after delete: %v %v", appCSV, assoc)
	}

	// Account B sees none of it.
	if a, _ := summary(t, client(t, s.URL, acctB, "x")); a != 0 {
		t.Fatalf("account B sees %d applications", a)
	}
}

func TestApplicationModeledErrors(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	web1 := srv["web-1.example.com"]
	c := client(t, s.URL, acctA, "x")
	out, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("App")})
	if err != nil {
		t.Fatal(err)
	}
	app := aws.StringValue(out.ConfigurationId)
	ghost := "d-application-0000000000000dead"
	bOut, err := client(t, s.URL, acctB, "x").CreateApplication(&ads.CreateApplicationInput{Name: aws.String("B")})
	if err != nil {
		t.Fatal(err)
	}
	bApp := aws.StringValue(bOut.ConfigurationId)
	bServers, err := client(t, s.URL, acctB, "x").ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
	if err != nil || len(bServers.Configurations) != 1 {
		t.Fatalf("B servers %v %v", bServers, err)
	}
	bServer := aws.StringValue(bServers.Configurations[0]["server.configurationId"])

	assoc := func(app string, ids ...string) error {
		_, err := c.AssociateConfigurationItemsToApplication(&ads.AssociateConfigurationItemsToApplicationInput{ApplicationConfigurationId: aws.String(app), ConfigurationIds: aws.StringSlice(ids)})
		return err
	}
	disassoc := func(app string, ids ...string) error {
		_, err := c.DisassociateConfigurationItemsFromApplication(&ads.DisassociateConfigurationItemsFromApplicationInput{ApplicationConfigurationId: aws.String(app), ConfigurationIds: aws.StringSlice(ids)})
		return err
	}

	invalid := func(err error, contains string) {
		t.Helper()
		rf := wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
		if !strings.Contains(rf.Message(), contains) {
			t.Fatalf("message %q does not contain %q", rf.Message(), contains)
		}
	}
	// Model constraints: InvalidParameterException.
	_, err = c.CreateApplication(&ads.CreateApplicationInput{})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
	_, err = c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String(strings.Repeat("n", 128))})
	invalid(err, "less than or equal to 127")
	_, err = c.UpdateApplication(&ads.UpdateApplicationInput{})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
	_, err = c.DeleteApplications(&ads.DeleteApplicationsInput{})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)
	_, err = c.AssociateConfigurationItemsToApplication(&ads.AssociateConfigurationItemsToApplicationInput{ApplicationConfigurationId: aws.String(app)})
	wantCode(t, err, ads.ErrCodeInvalidParameterException, 400)

	// Unknown or foreign IDs: InvalidParameterValueException, nothing stored.
	_, err = c.UpdateApplication(&ads.UpdateApplicationInput{ConfigurationId: aws.String(ghost), Name: aws.String("x")})
	invalid(err, ghost)
	_, err = c.UpdateApplication(&ads.UpdateApplicationInput{ConfigurationId: aws.String(bApp), Name: aws.String("x")})
	invalid(err, bApp)
	_, err = c.DeleteApplications(&ads.DeleteApplicationsInput{ConfigurationIds: aws.StringSlice([]string{app, ghost})})
	invalid(err, ghost)
	invalid(assoc(ghost, web1), ghost)
	invalid(assoc(app, web1, "d-server-0000000000000dead", bServer), "d-server-0000000000000dead, "+bServer)
	invalid(assoc(app, web1, "d-process-00000000000000001"), "Only servers")
	invalid(disassoc(ghost, web1), ghost)
	invalid(disassoc(app, "d-server-0000000000000dead"), "d-server-0000000000000dead")
	if d := describeOne(t, c, app); d["application.serverCount"] != "0" || d["application.name"] != "App" {
		t.Fatalf("refused calls changed the application: %v", d)
	}

	t.Run("AuthorizationError", func(t *testing.T) {
		s := startServer(t, "", "--credentials", writeCredentials(t))
		_, err := client(t, s.URL, keyRO, secretR).CreateApplication(&ads.CreateApplicationInput{Name: aws.String("x")})
		wantCode(t, err, ads.ErrCodeAuthorizationErrorException, 400)
	})
	t.Run("HomeRegionNotSet", func(t *testing.T) {
		s := startServer(t, "", "--home-region", "none")
		c := client(t, s.URL, acctA, "x")
		_, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("x")})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
		_, err = c.DeleteApplications(&ads.DeleteApplicationsInput{ConfigurationIds: aws.StringSlice([]string{ghost})})
		wantCode(t, err, ads.ErrCodeHomeRegionNotSetException, 400)
	})
}

// The 1,000-applications-per-account limit, end to end.
func TestApplicationLimitPerAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 1,000 applications")
	}
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	for i := range 1000 {
		if _, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String(fmt.Sprintf("app-%d", i))}); err != nil {
			t.Fatalf("application %d: %v", i, err)
		}
	}
	_, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("one too many")})
	rf := wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	if !strings.Contains(rf.Message(), "1000 applications") {
		t.Fatalf("message %q", rf.Message())
	}
	if a, _ := summary(t, c); a != 1000 {
		t.Fatalf("applications = %d", a)
	}
	if _, err := client(t, s.URL, acctB, "x").CreateApplication(&ads.CreateApplicationInput{Name: aws.String("B")}); err != nil {
		t.Fatal(err)
	}
}
