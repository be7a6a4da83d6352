package server

import (
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
	s.mux.HandleFunc("POST /_poseidon/intake", s.serveIntake)
}

// serveIntake takes in a batch of agent reports (agentdata.Batch). It has
// the API's identity rules (SigV4 in strict mode, signing name "discovery",
// allow lists, home region) and answers errors in the AWS JSON envelope.
func (s *Server) serveIntake(w http.ResponseWriter, r *http.Request) {
	r = runToEnd(r)
	ctx := r.Context()
	start := time.Now()
	status, n, err := s.intake(w, r)
	if err != nil {
		status = s.writeError(w, r, adsService, err)
	}
	s.log.InfoContext(ctx, "intake", "requestId", requestID(ctx), "status", status, "reports", n, "took", time.Since(start))
}

func (s *Server) intake(w http.ResponseWriter, r *http.Request) (int, int, error) {
	ctx := r.Context()
	body, id, err := s.admit(w, r, adsService, IntakeAction, s.cfg.MaxIntakeBytes, true)
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
	out := intakeResponse{Accepted: res.Accepted, Duplicates: res.Duplicates, Dropped: res.Dropped, DroppedReports: make([]droppedReport, 0, len(res.DroppedReports))}
	for _, d := range res.DroppedReports {
		out.DroppedReports = append(out.DroppedReports, droppedReport{d.ReportID, d.Reason})
	}
	writeJSON(w, http.StatusOK, out)
	return http.StatusOK, len(batch.Reports), nil
}
