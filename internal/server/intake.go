package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/poseidon-ads/poseidon/internal/agentdata"
	"github.com/poseidon-ads/poseidon/internal/awsjson"
)

// IntakeAction is the allow-list action of agent intake. It is poseidon's
// own (AWS agents report through a private channel); identities without an
// allow list may call it.
const IntakeAction = "poseidon:SubmitAgentReports"

// intakeResponse is the body of a successful intake.
type intakeResponse struct {
	Accepted       int             `json:"accepted"`
	Duplicates     int             `json:"duplicates"`
	Dropped        int             `json:"dropped"`
	DroppedReports []droppedReport `json:"droppedReports"`
}

type droppedReport struct {
	ReportID string `json:"reportId"`
	Reason   string `json:"reason"`
}

// routeIntake registers POST /_poseidon/intake.
func (s *Server) routeIntake() {
	if s.cfg.Agents == nil {
		return
	}
	s.handle("POST /_poseidon/intake", s.serveIntake)
}

// serveIntake takes in a batch of agent reports (agentdata.Batch). It has
// the API's identity rules (SigV4 in strict mode, signing name "discovery",
// allow lists, home region) and answers errors in the AWS JSON envelope.
func (s *Server) serveIntake(w http.ResponseWriter, r *http.Request) {
	r = runToEnd(r)
	ctx := r.Context()
	start := time.Now()
	var account, code string
	status, n, err := s.intake(w, r, &account)
	if err != nil {
		status, code = s.writeErrorCode(w, r, adsService, err)
	}
	took := time.Since(start)
	s.metrics.request(intakeOperation, status, code, took)
	if s.log.Enabled(ctx, slog.LevelInfo) {
		s.log.LogAttrs(ctx, slog.LevelInfo, "intake", slog.String("requestId", requestID(ctx)), slog.String("operation", intakeOperation),
			slog.Int("status", status), slog.String("code", code), slog.String("account", account), slog.Int("reports", n),
			slog.Duration("latency", took))
	}
}

// intakeOperation names agent intake in the access log and the metrics.
const intakeOperation = "SubmitAgentReports"

func (s *Server) intake(w http.ResponseWriter, r *http.Request, account *string) (int, int, error) {
	ctx := r.Context()
	body, id, err := s.admit(w, r, adsService, IntakeAction, s.cfg.MaxIntakeBytes, true)
	*account = id.AccountID
	if err != nil {
		return 0, 0, err
	}
	var batch agentdata.Batch
	if err := awsjson.DecodeLenient(body, &batch); err != nil {
		return 0, 0, err
	}
	res, err := s.cfg.Agents.Intake(ctx, id.AccountID, &batch)
	if err != nil {
		return 0, len(batch.Reports), err
	}
	s.metrics.reports.WithLabelValues("accepted").Add(float64(res.Accepted))
	s.metrics.reports.WithLabelValues("duplicate").Add(float64(res.Duplicates))
	s.metrics.reports.WithLabelValues("dropped").Add(float64(res.Dropped))
	out := intakeResponse{Accepted: res.Accepted, Duplicates: res.Duplicates, Dropped: res.Dropped, DroppedReports: make([]droppedReport, 0, len(res.DroppedReports))}
	for _, d := range res.DroppedReports {
		out.DroppedReports = append(out.DroppedReports, droppedReport{d.ReportID, d.Reason})
	}
	writeJSON(w, http.StatusOK, out)
	return http.StatusOK, len(batch.Reports), nil
}
