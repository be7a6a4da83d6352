package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go/aws/credentials"
	v4 "github.com/aws/aws-sdk-go/aws/signer/v4"
)

// client sends AWS JSON 1.1 requests signed with SigV4 as aws-sdk-go v1
// does: one signer per client, every request signed on its own (the signer
// derives the signing key for each request, as the SDK's does), the body
// marshalled for each request.
type client struct {
	hc      *http.Client
	url     string
	signer  *v4.Signer
	service string
	region  string
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, MaxConnsPerHost: 0,
			IdleConnTimeout: time.Minute, DisableCompression: true},
	}
}

func newClient(hc *http.Client, url, key, secret, service, region string) *client {
	return &client{hc: hc, url: strings.TrimRight(url, "/"), signer: v4.NewSigner(credentials.NewStaticCredentials(key, secret, "")),
		service: service, region: region}
}

// answer is one response.
type answer struct {
	status int
	code   string // error type of a non-2xx answer
	header http.Header
	body   []byte
	took   time.Duration // from sending the request to the end of the body
}

// call sends one JSON 1.1 request: target is the whole X-Amz-Target value,
// in is marshalled (a []byte is sent as it is).
func (c *client) call(ctx context.Context, target string, in any) (answer, error) {
	body, ok := in.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return answer{}, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	return c.send(req, body)
}

// send signs req (whose body is body) and sends it.
func (c *client) send(req *http.Request, body []byte) (answer, error) {
	if _, err := c.signer.Sign(req, bytes.NewReader(body), c.service, c.region, time.Now()); err != nil {
		return answer{}, err
	}
	t0 := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header, body: b, took: time.Since(t0)}
	if err != nil {
		return a, err
	}
	if a.status >= 300 {
		a.code = errorCode(resp.Header, b)
	}
	return a, nil
}

// errorCode is the AWS error type of an error answer.
func errorCode(h http.Header, body []byte) string {
	code := h.Get("X-Amzn-ErrorType")
	if code == "" {
		var e struct {
			Type string `json:"__type"`
		}
		if json.Unmarshal(body, &e) == nil {
			code = e.Type
		}
	}
	if i := strings.IndexAny(code, ":#"); i >= 0 && strings.Contains(code, "#") {
		code = code[strings.LastIndex(code, "#")+1:]
	} else if i >= 0 {
		code = code[:i]
	}
	if code == "" {
		code = "(none)"
	}
	return code
}

// record adds a to rec under class, or the transport error.
func (rec *recorder) record(class string, a answer, err error) {
	if err != nil {
		rec.transport++
		if rec.firstErr == "" {
			rec.firstErr = class + ": " + err.Error()
		}
		return
	}
	rec.lat[class] = append(rec.lat[class], a.took)
	rec.status[a.status]++
	if a.status < 300 {
		rec.ok[class]++
	} else {
		rec.codes[a.code]++
		if rec.firstErr == "" {
			rec.firstErr = fmt.Sprintf("%s: %d %s: %.200s", class, a.status, a.code, a.body)
		}
	}
}

// identity is a strict-mode identity of the credentials file loadgen writes.
type identity struct {
	Key     string `json:"accessKeyId"`
	Secret  string `json:"secretAccessKey"`
	Account string `json:"accountId"`
}

// identities are n deterministic identities (accounts 400000000000, ...).
func identities(n int) []identity {
	ids := make([]identity, n)
	for i := range ids {
		ids[i] = identity{Key: fmt.Sprintf("AKIABENCH%011d", i), Secret: fmt.Sprintf("bench-secret-%d", i), Account: fmt.Sprintf("4000000000%02d", i)}
	}
	return ids
}
