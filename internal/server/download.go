package server

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
	"github.com/poseidon-ads/poseidon/internal/sigv4"
)

// download serves an export archive to a presigned GET, S3-style: the
// signature is checked first (403 when expired or tampered), then the path
// names an account and an export that must exist, have SUCCEEDED and still
// hold data. The archive is looked up by those checked IDs, never by the
// raw request path.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.verifyDownload(w, r) {
		return
	}
	account := r.PathValue("account")
	exportID, ok := strings.CutSuffix(r.PathValue("file"), ".zip")
	if !ok {
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	if !exportfile.ValidName(account, exportID) {
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	t, err := s.cfg.Store.GetExportTask(ctx, account, exportID)
	if err != nil || t.Status != discovery.ExportSucceeded || t.DataExpired(s.cfg.Clock.Now()) {
		if err != nil && !errors.Is(err, discovery.ErrNotFound) {
			s.log.ErrorContext(ctx, "download: get export", "err", err)
			writeS3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
			return
		}
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	f, err := s.cfg.Files.Open(ctx, account, exportID)
	if errors.Is(err, discovery.ErrNotFound) {
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	if err != nil {
		s.log.ErrorContext(ctx, "download: open export archive", "err", err)
		writeS3Error(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportID+`.zip"`)
	http.ServeContent(w, r, exportID+".zip", t.FinishedAt, f)
}

// writeS3Error writes an S3-style XML error, as a presigned S3 URL would.
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	type s3Error struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}
	b, _ := xml.Marshal(s3Error{Code: code, Message: msg, RequestID: requestID(r.Context())})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write([]byte(xml.Header))
		w.Write(b)
	}
}

// verifyDownload checks the presigned signature of a download (exports and
// import error files). On failure it writes the S3-style 403 and reports false.
func (s *Server) verifyDownload(w http.ResponseWriter, r *http.Request) bool {
	_, err := sigv4.VerifyPresigned(r, func(akid string) (string, bool) {
		if akid != downloadKeyID {
			return "", false
		}
		return s.urlSecret, true
	}, downloadSigner, s.cfg.Clock.Now())
	if err == nil {
		return true
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		writeS3Error(w, r, se.Status, se.Code, se.Message)
	} else {
		writeS3Error(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	return false
}
