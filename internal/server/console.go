package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/poseidon-ads/poseidon/internal/awsjson"
	"github.com/poseidon-ads/poseidon/internal/console"
)

// The web console's own reads: POST /_poseidon/console with
// "X-Amz-Target: PoseidonConsole.<Operation>" and a JSON body, under the
// API's identity rules (SigV4 in strict mode, the account from the
// signature, allow lists, home region). Errors are AWS JSON errors.

// Console is the console's use-case layer. console.Service implements it.
type Console interface {
	ServerUsage(ctx context.Context, account string, in console.UsageInput) (*console.Usage, error)
	NetworkMap(ctx context.Context, account string) (*console.Map, error)
}

// ConsoleTargetPrefix is the X-Amz-Target prefix of the console's reads;
// their allow-list actions are "poseidon:<Operation>".
const ConsoleTargetPrefix = "PoseidonConsole"

// The console's operations.
const (
	opGetServerUsage = "GetServerUsage"
	opGetNetworkMap  = "GetNetworkMap"
)

// routeConsole registers the console's reads and its pages (ui.go).
func (s *Server) routeConsole() {
	if s.cfg.Console != nil {
		s.handle("POST /_poseidon/console", s.serveConsole)
	}
	s.routeUI()
}

func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request) {
	r = runToEnd(r)
	ctx := r.Context()
	start := time.Now()
	target := r.Header.Get("X-Amz-Target")
	var account, code string
	status, err := s.console(w, r, target, &account)
	if err != nil {
		status, code = s.writeErrorCode(w, r, adsService, err)
	}
	took := time.Since(start)
	operation := "console"
	if prefix, name, _ := strings.Cut(target, "."); prefix == ConsoleTargetPrefix && (name == opGetServerUsage || name == opGetNetworkMap) {
		operation = name
	}
	s.metrics.request(operation, status, code, took)
	if s.log.Enabled(ctx, slog.LevelInfo) {
		s.log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("requestId", requestID(ctx)), slog.String("operation", operation),
			slog.String("target", target), slog.Int("status", status), slog.String("code", code), slog.String("account", account),
			slog.Duration("latency", took))
	}
}

func (s *Server) console(w http.ResponseWriter, r *http.Request, target string, account *string) (int, error) {
	ctx := r.Context()
	prefix, name, _ := strings.Cut(target, ".")
	if prefix != ConsoleTargetPrefix || name != opGetServerUsage && name != opGetNetworkMap {
		return 0, awsjson.UnknownOperation(target)
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return 0, err
	}
	body, id, err := s.admit(w, r, adsService, "poseidon:"+name, s.cfg.MaxBodyBytes, true)
	*account = id.AccountID
	if err != nil {
		return 0, err
	}
	var out any
	switch name {
	case opGetServerUsage:
		var in console.UsageInput
		if err := awsjson.Decode(body, &in); err != nil {
			return 0, err
		}
		u, err := s.cfg.Console.ServerUsage(ctx, id.AccountID, in)
		if err != nil {
			return 0, err
		}
		out = usageJSON(u)
	case opGetNetworkMap:
		var in struct{}
		if err := awsjson.Decode(body, &in); err != nil {
			return 0, err
		}
		m, err := s.cfg.Console.NetworkMap(ctx, id.AccountID)
		if err != nil {
			return 0, err
		}
		out = mapJSON(m)
	}
	writeConsoleJSON(w, r, out)
	return http.StatusOK, nil
}

// usageSeries are a server's samples, one array per measure (the columns
// the charts plot), times in epoch seconds.
type usageSeries struct {
	Time          []float64 `json:"time"`
	CPUPct        []float64 `json:"cpuPct"`
	TotalRAMMB    []float64 `json:"totalRamMB"`
	FreeRAMMB     []float64 `json:"freeRamMB"`
	DiskSizeGB    []float64 `json:"diskSizeGB"`
	DiskFreeGB    []float64 `json:"diskFreeGB"`
	DiskReadKBps  []float64 `json:"diskReadKBps"`
	DiskWriteKBps []float64 `json:"diskWriteKBps"`
	NetReadKBps   []float64 `json:"netReadKBps"`
	NetWriteKBps  []float64 `json:"netWriteKBps"`
}

func usageJSON(u *console.Usage) any {
	n := len(u.Samples)
	col := func() []float64 { return make([]float64, 0, n) }
	s := usageSeries{col(), col(), col(), col(), col(), col(), col(), col(), col(), col()}
	for _, p := range u.Samples {
		s.Time = append(s.Time, float64(p.TimeMs)/1000)
		s.CPUPct = append(s.CPUPct, p.CPUPct)
		s.TotalRAMMB = append(s.TotalRAMMB, p.TotalRAMMB)
		s.FreeRAMMB = append(s.FreeRAMMB, p.FreeRAMMB)
		s.DiskSizeGB = append(s.DiskSizeGB, p.DiskSizeGB)
		s.DiskFreeGB = append(s.DiskFreeGB, p.DiskFreeGB)
		s.DiskReadKBps = append(s.DiskReadKBps, p.DiskReadKBps)
		s.DiskWriteKBps = append(s.DiskWriteKBps, p.DiskWriteKBps)
		s.NetReadKBps = append(s.NetReadKBps, p.NetReadKBps)
		s.NetWriteKBps = append(s.NetWriteKBps, p.NetWriteKBps)
	}
	return struct {
		ServerID  string      `json:"serverId"`
		StartTime float64     `json:"startTime"`
		EndTime   float64     `json:"endTime"`
		Truncated bool        `json:"truncated"`
		Samples   usageSeries `json:"samples"`
	}{u.ServerID, u.StartTime, u.EndTime, u.Truncated, s}
}

// mapNode is a node of the map; edges are [source, destination, traffic,
// ports], the ends as indexes into nodes (a map of 10,000 servers stays a
// few hundred kilobytes).
type mapNode struct {
	ID              string `json:"id"`
	HostName        string `json:"hostName"`
	ApplicationID   string `json:"applicationId,omitempty"`
	ApplicationName string `json:"applicationName,omitempty"`
}

func mapJSON(m *console.Map) any {
	nodes := make([]mapNode, len(m.Nodes))
	index := make(map[string]int, len(m.Nodes))
	for i, n := range m.Nodes {
		nodes[i] = mapNode{n.ServerID, n.HostName, n.ApplicationID, n.ApplicationName}
		index[n.ServerID] = i
	}
	edges := make([][4]int64, 0, len(m.Edges))
	for _, e := range m.Edges {
		edges = append(edges, [4]int64{int64(index[e.Source]), int64(index[e.Destination]), e.Traffic, e.Ports})
	}
	return struct {
		Nodes          []mapNode  `json:"nodes"`
		Edges          [][4]int64 `json:"edges"`
		NodesTruncated bool       `json:"nodesTruncated"`
		EdgesTruncated bool       `json:"edgesTruncated"`
	}{nodes, edges, m.NodesTruncated, m.EdgesTruncated}
}

// writeConsoleJSON writes a 200 JSON answer, gzipped when the client takes
// gzip and it is large (a map of thousands of servers).
func writeConsoleJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types: cannot fail
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Encoding")
	if len(b) < 16<<10 || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.WriteHeader(http.StatusOK)
		w.Write(b)
		return
	}
	h.Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusOK)
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
}

// acceptsGzip reports whether an Accept-Encoding value takes gzip (q > 0).
func acceptsGzip(v string) bool {
	for _, part := range strings.Split(v, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
