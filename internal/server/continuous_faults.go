package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// failContinuousExport puts a continuous export into a failure state on
// purpose, so that clients can be tested against it (ContinuousExports.Fail).
// It serves POST /_poseidon/continuous-export-failure:
// {"accountId", "exportId", "status": "START_FAILED" | "ERROR" |
// "STOP_FAILED", "statusDetail": one of the model's codes (default
// INTERNAL_FAILURE)}. It answers the export as DescribeContinuousExports
// then shows it: {"exportId", "status", "statusDetail"}. Errors: 400
// InvalidRequestException (body), 400 InvalidParameterValueException
// (status, statusDetail), 404 ResourceNotFoundException, 409
// ResourceInUseException (the export is not in the status the failure
// needs: START_IN_PROGRESS, ACTIVE, STOP_IN_PROGRESS).
func (s *Server) failContinuousExport(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AccountID    string `json:"accountId"`
		ExportID     string `json:"exportId"`
		Status       string `json:"status"`
		StatusDetail string `json:"statusDetail"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(&in)
	}
	if err != nil || in.AccountID == "" || in.ExportID == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"__type": "InvalidRequestException",
			"message": `The body must be {"accountId", "exportId", "status", "statusDetail"?}.`})
		return
	}
	if s.cfg.ContinuousExports == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"__type": "ResourceNotFoundException", "message": "Continuous exports are off."})
		return
	}
	e, err := s.cfg.ContinuousExports.Fail(r.Context(), in.AccountID, in.ExportID, in.Status, in.StatusDetail)
	var de *discovery.Error
	if errors.As(err, &de) {
		code := http.StatusBadRequest
		switch de.Code {
		case discovery.ResourceNotFound:
			code = http.StatusNotFound
		case discovery.ResourceInUse:
			code = http.StatusConflict
		}
		writeJSON(w, code, map[string]string{"__type": string(de.Code), "message": de.Message})
		return
	}
	if err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "continuous export failure", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "ServerInternalErrorException", "message": "The failure could not be recorded; try again."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"exportId": e.ID, "status": e.Status(s.cfg.ContinuousExports.Now()), "statusDetail": e.StatusDetail})
}
