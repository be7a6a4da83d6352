package agentdata

import (
	"encoding/json"
	"errors"
	"math"
	"net"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
)

const fuzzGoodBatch = `{"reports": [{"reportId": "r-1", "agentId": "o-0123456789abcdef0", "timestamp": 1700000000.5,
  "agent": {"agentType": "EC2", "version": "2.0.1", "health": "HEALTHY", "connectorId": "c-1"},
  "server": {"hostName": "web-1", "osName": "Linux", "osVersion": "6.1", "cpuType": "x86_64", "hypervisor": "xen", "type": "EC2",
    "numCpus": 2, "numCores": 4, "numLogicalProcessors": 8, "totalRamMB": 8192, "totalDiskGB": 100.5, "numDisks": 1,
    "vmware": {"moRefId": "vm-1", "vmName": "web", "vCenterId": "vc-1", "vCenterName": "vc", "vmFolderPath": "/dc/vm", "hostId": "host-1"}},
  "networkInterfaces": [{"name": "eth0", "macAddress": "06:00:00:00:00:01", "ipAddress": "10.0.0.1", "netMask": "255.255.255.0", "family": "IPv4", "gateway": "10.0.0.254"},
    {"name": "eth1", "ipAddress": "fe80::1", "family": "IPv6"}],
  "performance": {"cpuUsagePct": 12.5, "freeRamMB": 1024, "diskFreeGB": 50, "diskReadKBps": 1, "diskWriteKBps": 2,
    "diskReadOpsPerSec": 3, "diskWriteOpsPerSec": 4, "networkReadKBps": 5, "networkWriteKBps": 6},
  "processes": [{"pid": 1, "name": "nginx", "commandLine": "nginx -g daemon off;", "path": "/usr/sbin/nginx", "isSystem": false}],
  "connections": [{"direction": "outbound", "sourceIp": "10.0.0.1", "sourcePort": 40000, "destinationIp": "10.0.0.2", "destinationPort": 5432,
    "ipVersion": "IPv4", "transportProtocol": "tcp", "pid": 1}]}]}`

// FuzzDecodeBatch runs an arbitrary intake body through what the server
// does with it: awsjson.Decode into a Batch, then Validate. Nothing may
// panic; a decode error is a 400 SerializationException; a validation
// error is an *Error naming a member under "reports". A batch that
// validates holds every documented invariant, and survives a JSON round
// trip unchanged and still valid.
func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{
		fuzzGoodBatch,
		`{}`,
		``,
		`{"reports": []}`,
		`{"reports": [{}]}`,
		`{"reports": null}`,
		`{"reports": [{"reportId": "a", "agentId": "o-0123456789", "timestamp": 1, "server": {"hostName": "h"}},
		  {"reportId": "a", "agentId": "o-0123456789", "timestamp": 1, "server": {"hostName": "h"}}]}`,
		`{"reports": [{"reportId": "a", "agentId": "o-0123456789", "timestamp": 1e10, "server": {"hostName": "h", "numCpus": -1}}]}`,
		`{"reports": [{"reportId": "a", "agentId": "o-0123456789", "timestamp": 1, "server": {"hostName": " "},
		  "connections": [{"direction": "inbound", "sourceIp": "::ffff:1.2.3.4", "destinationIp": "1.2.3.4", "destinationPort": 65536}]}]}`,
		`{"reports": [{"reportId": "a", "agentId": "o-0123456789", "timestamp": 1, "server": {"hostName": "h"}, "performance": {"cpuUsagePct": 100.0001}}]}`,
		`{"reports": [{"reportId": "a", "agentId": "o-0123456789", "timestamp": "1"}]}`,
		`{"reports": [{"reportId": "a", "agentId": "o-0123456789", "timestamp": 1, "server": {"hostName": "h", "numCpus": 1.5}}]}`,
		`{"reports": [{"reportId": "a:b.c-d_e", "agentId": "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", "timestamp": 1, "server": {"hostName": "h"},
		  "processes": [{"pid": 0, "name": "x", "path": "` + strings.Repeat("p", MaxString+1) + `"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b Batch
		if err := awsjson.Decode(body, &b); err != nil {
			var ae *awsjson.Error
			if !errors.As(err, &ae) || ae.Code != "SerializationException" || ae.Status != 400 {
				t.Fatalf("Decode error %#v is not a 400 SerializationException", err)
			}
			return
		}
		err := b.Validate()
		if err != nil {
			var ve *Error
			if !errors.As(err, &ve) || !strings.HasPrefix(ve.Path, "reports") || ve.Problem == "" {
				t.Fatalf("Validate error %#v does not name a member", err)
			}
			return
		}
		fuzzInvariants(t, &b)

		raw, err := json.Marshal(&b)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again Batch
		if err := awsjson.Decode(raw, &again); err != nil {
			t.Fatalf("re-decode %s: %v", raw, err)
		}
		if !reflect.DeepEqual(fuzzNormal(b), fuzzNormal(again)) {
			t.Fatalf("round trip changed the batch:\n%+v\n%+v", b, again)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("valid batch invalid after a round trip: %v", err)
		}
	})
}

// fuzzNormal drops the difference between an absent and an empty list,
// which omitempty erases.
func fuzzNormal(b Batch) Batch {
	out := Batch{Reports: make([]Report, len(b.Reports))}
	for i, r := range b.Reports {
		if len(r.NetworkInterfaces) == 0 {
			r.NetworkInterfaces = nil
		}
		if len(r.Processes) == 0 {
			r.Processes = nil
		}
		if len(r.Connections) == 0 {
			r.Connections = nil
		}
		out.Reports[i] = r
	}
	return out
}

// fuzzInvariants checks what the store relies on for a valid batch.
func fuzzInvariants(t *testing.T, b *Batch) {
	t.Helper()
	if len(b.Reports) == 0 || len(b.Reports) > MaxReports {
		t.Fatalf("valid batch of %d reports", len(b.Reports))
	}
	ids := map[string]bool{}
	for i, r := range b.Reports {
		if ids[r.ReportID] {
			t.Fatalf("report %d: duplicate ID %q", i, r.ReportID)
		}
		ids[r.ReportID] = true
		if len(r.ReportID) == 0 || len(r.ReportID) > 128 || utf8.RuneCountInString(r.AgentID) < 10 || utf8.RuneCountInString(r.AgentID) > 20 {
			t.Fatalf("report %d: IDs %q %q", i, r.ReportID, r.AgentID)
		}
		if !(r.Timestamp > 0 && r.Timestamp <= 1e10) || math.IsNaN(r.Timestamp) {
			t.Fatalf("report %d: timestamp %v", i, r.Timestamp)
		}
		if strings.TrimSpace(r.Server.HostName) == "" || len(r.Server.HostName) > MaxString {
			t.Fatalf("report %d: hostName %q", i, r.Server.HostName)
		}
		for _, ni := range r.NetworkInterfaces {
			if ni.Name == "" || net.ParseIP(ni.IPAddress) == nil {
				t.Fatalf("report %d: interface %+v", i, ni)
			}
		}
		if pf := r.Performance; pf != nil && !(pf.CPUUsagePct >= 0 && pf.CPUUsagePct <= 100) {
			t.Fatalf("report %d: cpu %v", i, pf.CPUUsagePct)
		}
		for _, p := range r.Processes {
			if p.Name == "" || p.PID < 0 || len(p.Name) > MaxString || len(p.CommandLine) > MaxString || len(p.Path) > MaxString {
				t.Fatalf("report %d: process %+v", i, p)
			}
		}
		for _, c := range r.Connections {
			if (c.Direction != "inbound" && c.Direction != "outbound") || net.ParseIP(c.SourceIP) == nil || net.ParseIP(c.DestinationIP) == nil ||
				c.SourcePort < 0 || c.SourcePort > 65535 || c.DestinationPort < 0 || c.DestinationPort > 65535 {
				t.Fatalf("report %d: connection %+v", i, c)
			}
		}
	}
}
