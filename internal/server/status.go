package server

import (
	"net/http"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// accountStatus and jobStatus are the JSON of GET /_poseidon/status.
type accountStatus struct {
	AccountID string         `json:"accountId"`
	Agents    int            `json:"agents"`
	Servers   int            `json:"servers"`
	Exports   map[string]int `json:"exports"`
}

type jobStatus struct {
	Kind      string `json:"kind"`
	Running   int    `json:"running"`
	Queued    int    `json:"queued"`
	Scheduled int    `json:"scheduled"`
}

// status answers GET /_poseidon/status (a control route: it names every
// account): the counts of each account's agents, servers and export tasks
// by status, the job queue by kind (JobDepths, as health and the metrics
// count it), and the virtual clock.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	o, err := s.cfg.Store.Overview(r.Context())
	var depths []discovery.JobDepth
	if err == nil {
		depths, err = s.jobDepths(r.Context())
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "status", "requestId", requestID(r.Context()), "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalError", "message": "The store could not be read; try again."})
		return
	}
	accounts := make([]accountStatus, 0, len(o.Accounts))
	for _, a := range o.Accounts {
		ex := map[string]int{}
		for k, n := range a.Exports {
			ex[string(k)] = n
		}
		accounts = append(accounts, accountStatus{AccountID: a.AccountID, Agents: a.Agents, Servers: a.Servers, Exports: ex})
	}
	jobs := make([]jobStatus, 0, len(depths))
	for _, d := range depths {
		jobs = append(jobs, jobStatus{Kind: string(d.Kind), Running: d.Running, Queued: d.Queued, Scheduled: d.Scheduled})
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": accounts, "jobs": jobs, "clock": s.clockView()})
}
