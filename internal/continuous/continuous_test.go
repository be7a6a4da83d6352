package continuous

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
)

func TestFilesAppend(t *testing.T) {
	f := &Files{Root: t.TempDir()}
	ts := float64(time.Date(2026, 3, 1, 13, 5, 0, 0, time.UTC).Unix()) + 0.25
	r := &agentdata.Report{ReportID: "r1", AgentID: "o-../../evil", Timestamp: ts, Server: agentdata.ServerInfo{HostName: "h"},
		Connections: []agentdata.Connection{{Direction: "inbound", SourceIP: "1.1.1.1", DestinationIP: "2.2.2.2", DestinationPort: 80}}}
	for range 2 {
		if err := f.Append("111111111111", "bkt", []*agentdata.Report{r}); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(f.Root, "bkt", "os_info_agent", "year=2026", "month=03", "day=01", "o-______evil-13.jsonl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"timestamp":"2026-03-01T13:05:00.250Z"`) || !strings.Contains(lines[0], `"host_name":"h"`) {
		t.Fatalf("file = %q", b)
	}
	if _, err := os.Stat(filepath.Join(f.Root, "bkt", "inbound_connection_agent", "year=2026", "month=03", "day=01", "o-______evil-13.jsonl")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.Root, "bkt", "outbound_connection_agent")); !os.IsNotExist(err) {
		t.Fatalf("outbound folder: %v", err)
	}
}
