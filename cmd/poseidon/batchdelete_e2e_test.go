package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
)

// waitBatchDelete polls DescribeBatchDeleteConfigurationTask until the task ends.
func waitBatchDelete(t *testing.T, c *ads.ApplicationDiscoveryService, id string) *ads.BatchDeleteConfigurationTask {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.DescribeBatchDeleteConfigurationTask(&ads.DescribeBatchDeleteConfigurationTaskInput{TaskId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		switch aws.StringValue(out.Task.Status) {
		case "COMPLETED", "FAILED":
			return out.Task
		case "INITIALIZING", "VALIDATING", "DELETING":
		default:
			t.Fatalf("status %q", aws.StringValue(out.Task.Status))
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s still %s", id, aws.StringValue(out.Task.Status))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBatchDeleteConfigurationTask(t *testing.T) {
	s := startServer(t, "")
	srv := seedFleet(t, s)
	c := client(t, s.URL, acctA, "x")
	web1, db1, web2 := srv["web-1.example.com"], srv["db-1.example.com"], srv["web-2.example.com"]

	app, err := c.CreateApplication(&ads.CreateApplicationInput{Name: aws.String("Store")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssociateConfigurationItemsToApplication(&ads.AssociateConfigurationItemsToApplicationInput{
		ApplicationConfigurationId: app.ConfigurationId, ConfigurationIds: aws.StringSlice([]string{web1, db1})}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTags(&ads.CreateTagsInput{ConfigurationIds: aws.StringSlice([]string{web1}), Tags: []*ads.Tag{adsTag("env", "prod")}}); err != nil {
		t.Fatal(err)
	}
	// web-2 has a stopped agent: no warning for it.
	if _, err := c.StopDataCollectionByAgentIds(&ads.StopDataCollectionByAgentIdsInput{AgentIds: aws.StringSlice([]string{agentWeb2})}); err != nil {
		t.Fatal(err)
	}

	dead := "d-server-0000000000000dead"
	start, err := c.StartBatchDeleteConfigurationTask(&ads.StartBatchDeleteConfigurationTaskInput{
		ConfigurationType: aws.String("SERVER"), ConfigurationIds: aws.StringSlice([]string{web1, dead, web2})})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.StringValue(start.TaskId)
	task := waitBatchDelete(t, c, id)
	if aws.StringValue(task.Status) != "COMPLETED" || aws.StringValue(task.TaskId) != id || aws.StringValue(task.ConfigurationType) != "SERVER" ||
		task.StartTime == nil || task.EndTime == nil || task.EndTime.Before(*task.StartTime) {
		t.Fatalf("task = %v", task)
	}
	if got := aws.StringValueSlice(task.RequestedConfigurations); !slices.Equal(got, []string{web1, dead, web2}) {
		t.Errorf("requested = %v", got)
	}
	if got := aws.StringValueSlice(task.DeletedConfigurations); !slices.Equal(got, []string{web1, web2}) {
		t.Errorf("deleted = %v", got)
	}
	if len(task.FailedConfigurations) != 1 || aws.StringValue(task.FailedConfigurations[0].ConfigurationId) != dead ||
		aws.Int64Value(task.FailedConfigurations[0].ErrorStatusCode) != 404 || aws.StringValue(task.FailedConfigurations[0].ErrorMessage) == "" {
		t.Errorf("failed = %v", task.FailedConfigurations)
	}
	if len(task.DeletionWarnings) != 1 || aws.StringValue(task.DeletionWarnings[0].ConfigurationId) != web1 ||
		aws.Int64Value(task.DeletionWarnings[0].WarningCode) != 409 || !strings.Contains(aws.StringValue(task.DeletionWarnings[0].WarningText), agentWeb1) {
		t.Errorf("warnings = %v", task.DeletionWarnings)
	}

	// The deleted servers are gone everywhere.
	list, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Configurations) != 1 || aws.StringValue(list.Configurations[0]["server.configurationId"]) != db1 {
		t.Fatalf("servers after delete: %v", list.Configurations)
	}
	desc, err := c.DescribeConfigurations(&ads.DescribeConfigurationsInput{ConfigurationIds: aws.StringSlice([]string{web1})})
	if err == nil && len(desc.Configurations) != 0 {
		t.Fatalf("DescribeConfigurations(web-1) = %v", desc.Configurations)
	}
	procs, err := c.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("PROCESS")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range procs.Configurations {
		if h := aws.StringValue(p["server.hostName"]); h != "" && h != "db-1.example.com" {
			t.Errorf("process of a deleted server: %v", p)
		}
	}
	if n := len(procs.Configurations); n != 1 {
		t.Errorf("processes after delete: %d", n)
	}
	sum, err := c.GetDiscoverySummary(&ads.GetDiscoverySummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.Int64Value(sum.Servers) != 1 || aws.Int64Value(sum.ServersMappedToApplications) != 1 || aws.Int64Value(sum.ServersMappedtoTags) != 0 {
		t.Errorf("summary = %v", sum)
	}
	if rows := summaryCSV(t, c, "Server.csv"); len(rows) != 1 || rows[0]["server.configurationId"] != db1 {
		t.Errorf("Server.csv = %v", rows)
	}
	tags, err := c.DescribeTags(&ads.DescribeTagsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 0 {
		t.Errorf("tags = %v", tags.Tags)
	}
	// Agents stay.
	agents, err := c.DescribeAgents(&ads.DescribeAgentsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(agents.AgentsInfo) != 3 {
		t.Errorf("agents = %d", len(agents.AgentsInfo))
	}
	// Account B sees neither the task nor a change.
	b := client(t, s.URL, acctB, "x")
	_, err = b.DescribeBatchDeleteConfigurationTask(&ads.DescribeBatchDeleteConfigurationTaskInput{TaskId: aws.String(id)})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	if bl, err := b.ListConfigurations(&ads.ListConfigurationsInput{ConfigurationType: aws.String("SERVER")}); err != nil || len(bl.Configurations) != 1 {
		t.Fatalf("account B servers: %v %v", bl, err)
	}

	// The task survives a restart.
	s.Stop(t)
	s2 := startServer(t, s.Data)
	again := waitBatchDelete(t, client(t, s2.URL, acctA, "x"), id)
	if !slices.Equal(aws.StringValueSlice(again.DeletedConfigurations), []string{web1, web2}) {
		t.Errorf("after restart: %v", again)
	}
}

func TestBatchDeleteModeledErrors(t *testing.T) {
	s := startServer(t, "")
	c := client(t, s.URL, acctA, "x")
	many := make([]string, 201)
	for i := range many {
		many[i] = "d-server-0000000000000dead"
	}
	_, err := c.StartBatchDeleteConfigurationTask(&ads.StartBatchDeleteConfigurationTaskInput{ConfigurationType: aws.String("SERVER"), ConfigurationIds: aws.StringSlice(many)})
	rf := wantCode(t, err, ads.ErrCodeLimitExceededException, 400)
	if rf.Message() != "The limit of 200 configuration IDs per request has been exceeded." {
		t.Errorf("message = %q", rf.Message())
	}
	_, err = c.StartBatchDeleteConfigurationTask(&ads.StartBatchDeleteConfigurationTaskInput{ConfigurationType: aws.String("PROCESS"), ConfigurationIds: aws.StringSlice(many[:1])})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.StartBatchDeleteConfigurationTask(&ads.StartBatchDeleteConfigurationTaskInput{ConfigurationType: aws.String("SERVER"), ConfigurationIds: []*string{}})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.DescribeBatchDeleteConfigurationTask(&ads.DescribeBatchDeleteConfigurationTaskInput{TaskId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	_, err = c.DescribeBatchDeleteConfigurationTask(&ads.DescribeBatchDeleteConfigurationTaskInput{TaskId: aws.String("not-a-uuid")})
	if err == nil {
		t.Fatal("malformed task ID accepted")
	}
	// 200 IDs are fine; every unknown one fails with 404.
	out, err := c.StartBatchDeleteConfigurationTask(&ads.StartBatchDeleteConfigurationTaskInput{ConfigurationType: aws.String("SERVER"), ConfigurationIds: aws.StringSlice(many[:200])})
	if err != nil {
		t.Fatal(err)
	}
	task := waitBatchDelete(t, c, aws.StringValue(out.TaskId))
	if len(task.FailedConfigurations) != 1 || len(task.DeletedConfigurations) != 0 || len(task.RequestedConfigurations) != 1 {
		t.Errorf("task = %v", task)
	}
}
