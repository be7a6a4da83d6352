package worker

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"syscall"

	"github.com/poseidon-ads/poseidon/internal/discovery"
	"github.com/poseidon-ads/poseidon/internal/exportfile"
)

// writeFailed logs why an export's archive could not be written and returns
// the FAILED outcome to record. The statusMessage names the storage failure
// and what was being done, without server paths:
//
//	Export failed: no space left on device while writing the export file. Free space on the server's data volume, then start a new export.
//
// An archive store in a database (*discovery.ArchiveError) gets the step and
// the database as the place to look:
//
//	Export failed: a database error occurred while writing the export archive. Check the database server (its disk space and connections), then start a new export.
//
// Errors that are not storage failures (reading the store, say) get a
// generic message; the log has the details.
func (w *Worker) writeFailed(ctx context.Context, log *slog.Logger, err error) discovery.ExportResult {
	log.ErrorContext(ctx, "write export file", "err", err)
	return failed(writeFailureMessage(err))
}

// writeFailureMessage is the statusMessage of an export whose archive could
// not be written because of err.
func writeFailureMessage(err error) string {
	var ae *discovery.ArchiveError
	if errors.As(err, &ae) {
		what := map[string]string{
			"create": "while creating the export archive",
			"commit": "while saving the export archive",
		}[ae.Op]
		if what == "" {
			what = "while writing the export archive"
		}
		return "Export failed: a database error occurred " + what +
			". Check the database server (its disk space and connections), then start a new export."
	}
	var fe *exportfile.FileError
	if !errors.As(err, &fe) {
		return "Export failed: an internal error occurred while building the export file. Start a new export."
	}
	what := map[string]string{
		"create directory": "while creating the export directory",
		"create":           "while creating the export file",
		"write":            "while writing the export file",
		"sync":             "while flushing the export file to disk",
		"close":            "while closing the export file",
		"rename":           "while moving the export file into place",
	}[fe.Op]
	if what == "" {
		what = "while writing the export file"
	}
	cause, hint := "a storage error occurred", "Check the server's data volume, then start a new export."
	var errno syscall.Errno
	switch {
	case errors.As(fe.Err, &errno):
		cause = errno.Error()
		switch errno {
		case syscall.ENOSPC, syscall.EDQUOT:
			hint = "Free space on the server's data volume, then start a new export."
		case syscall.EROFS, syscall.EACCES, syscall.EPERM:
			hint = "Make the server's data directory writable, then start a new export."
		}
	case errors.Is(fe.Err, fs.ErrPermission):
		cause, hint = "permission denied", "Make the server's data directory writable, then start a new export."
	default:
		// Not an errno: keep the innermost message but never a path.
		inner := fe.Err
		var pe *os.PathError
		var le *os.LinkError
		switch {
		case errors.As(inner, &pe):
			inner = pe.Err
		case errors.As(inner, &le):
			inner = le.Err
		}
		if inner != nil && inner.Error() != "" {
			cause = inner.Error()
		}
	}
	return "Export failed: " + cause + " " + what + ". " + hint
}
