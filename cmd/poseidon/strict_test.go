package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
	ads "github.com/aws/aws-sdk-go/service/applicationdiscoveryservice"
	"github.com/aws/aws-sdk-go/service/migrationhubconfig"
)

func TestStrictMode(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t), "--control-token", "tok")
	a := client(t, s.URL, keyA, secretA)
	out, err := a.StartExportTask(&ads.StartExportTaskInput{})
	if err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	idA := aws.StringValue(out.ExportId)
	waitExport(t, a, idA)

	t.Run("wrong secret", func(t *testing.T) {
		_, err := client(t, s.URL, keyA, "not-the-secret").DescribeExportTasks(&ads.DescribeExportTasksInput{})
		rf := wantCode(t, err, "InvalidSignatureException", 403)
		if !strings.HasPrefix(rf.Message(), "The request signature we calculated does not match the signature you provided.") {
			t.Fatalf("message = %q", rf.Message())
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := client(t, s.URL, "AKIAUNKNOWNUNKNOWN00", "x").DescribeExportTasks(&ads.DescribeExportTasksInput{})
		wantCode(t, err, "UnrecognizedClientException", 400)
	})
	t.Run("missing signature", func(t *testing.T) {
		_, err := client(t, s.URL, "", "").DescribeExportTasks(&ads.DescribeExportTasksInput{})
		wantCode(t, err, "MissingAuthenticationTokenException", 403)
	})
	t.Run("refused action", func(t *testing.T) {
		ro := client(t, s.URL, keyRO, secretR)
		if _, err := ro.DescribeExportTasks(&ads.DescribeExportTasksInput{}); err != nil {
			t.Fatalf("allowed action refused: %v", err)
		}
		if _, err := ro.DescribeExportConfigurations(&ads.DescribeExportConfigurationsInput{}); err != nil {
			t.Fatalf("allowed action refused: %v", err)
		}
		_, err := ro.StartExportTask(&ads.StartExportTaskInput{})
		rf := wantCode(t, err, ads.ErrCodeAuthorizationErrorException, 400)
		if !strings.Contains(rf.Message(), "discovery:StartExportTask") {
			t.Fatalf("message = %q", rf.Message())
		}
		_, err = ro.ExportConfigurations(&ads.ExportConfigurationsInput{})
		wantCode(t, err, ads.ErrCodeAuthorizationErrorException, 400)
		_, err = mghClient(t, s.URL, keyRO, secretR, region).GetHomeRegion(&migrationhubconfig.GetHomeRegionInput{})
		wantCode(t, err, "AccessDeniedException", 403)
	})
	t.Run("accounts are isolated", func(t *testing.T) {
		b := client(t, s.URL, keyB, secretB)
		out, err := b.DescribeExportTasks(&ads.DescribeExportTasksInput{})
		if err != nil || len(out.ExportsInfo) != 0 {
			t.Fatalf("B sees %v (%v)", out.ExportsInfo, err)
		}
		out, err = b.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{idA})})
		if err != nil || len(out.ExportsInfo) != 0 {
			t.Fatalf("B sees A's export by ID: %v (%v)", out.ExportsInfo, err)
		}
		_, err = b.DescribeExportConfigurations(&ads.DescribeExportConfigurationsInput{ExportIds: aws.StringSlice([]string{idA})})
		wantCode(t, err, ads.ErrCodeResourceNotFoundException, 400)
		// A's read-only identity, same account, does see it.
		ro := client(t, s.URL, keyRO, secretR)
		out, err = ro.DescribeExportTasks(&ads.DescribeExportTasksInput{ExportIds: aws.StringSlice([]string{idA})})
		if err != nil || len(out.ExportsInfo) != 1 {
			t.Fatalf("same account, other key: %v (%v)", out.ExportsInfo, err)
		}
		// A page token of A is refused for B.
		for range 2 {
			a.StartExportTask(&ads.StartExportTaskInput{})
		}
		page, _ := a.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(1)})
		_, err = b.DescribeExportTasks(&ads.DescribeExportTasksInput{MaxResults: aws.Int64(1), NextToken: page.NextToken})
		wantCode(t, err, ads.ErrCodeInvalidParameterValueException, 400)
	})
	t.Run("old and replayed signatures", func(t *testing.T) {
		body := []byte(`{}`)
		send := func(signed time.Time, sendBody []byte) (int, string) {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "AWSPoseidonService_V2015_11_01.DescribeExportTasks")
			signer := v4.NewSigner(credentials.NewStaticCredentials(keyA, secretA, ""))
			if _, err := signer.Sign(req, bytes.NewReader(body), "discovery", region, signed); err != nil {
				t.Fatal(err)
			}
			req.Body = io.NopCloser(bytes.NewReader(sendBody))
			req.ContentLength = int64(len(sendBody))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, b := send(time.Now(), body); code != 200 {
			t.Fatalf("fresh = %d %s", code, b)
		}
		if code, b := send(time.Now().Add(-16*time.Minute), body); code != 403 || !strings.Contains(b, "Signature expired") {
			t.Fatalf("16 minutes old = %d %s", code, b)
		}
		if code, b := send(time.Now(), []byte(`{"maxResults":1}`)); code != 403 || !strings.Contains(b, "InvalidSignatureException") {
			t.Fatalf("other body = %d %s", code, b)
		}
	})
	t.Run("control API", func(t *testing.T) {
		if code, _ := control(t, s.URL, "clock", "", nil); code != 401 {
			t.Fatalf("no token = %d", code)
		}
		if code, _ := control(t, s.URL, "clock", "wrong", nil); code != 403 {
			t.Fatalf("wrong token = %d", code)
		}
		if code, _ := control(t, s.URL, "clock", "tok", nil); code != 200 {
			t.Fatalf("right token = %d", code)
		}
		if code, _ := control(t, s.URL, "reset", "wrong", map[string]any{}); code != 403 {
			t.Fatalf("reset with wrong token = %d", code)
		}
		if code, _ := control(t, s.URL, "health", "", nil); code != 200 {
			t.Fatalf("health = %d", code)
		}
	})
}

func TestStrictWithoutTokenDisablesControl(t *testing.T) {
	s := startServer(t, "", "--credentials", writeCredentials(t))
	for _, p := range []string{"clock", "reset"} {
		var body any
		if p == "reset" {
			body = map[string]any{}
		}
		if code, _ := control(t, s.URL, p, "anything", body); code != 403 {
			t.Fatalf("%s = %d, want 403", p, code)
		}
	}
	// Metrics, like health, need no credentials (they hold no account data).
	metricsOf(t, s.URL)
}
