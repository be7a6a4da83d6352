package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// BenchmarkFindExportTasks shows that a page costs the same at any depth
// (keyset pagination): compare the ns/op of the first page and of a page
// 45,000 tasks deep, in an account of 50,000 tasks beside another of 50,000.
func BenchmarkFindExportTasks(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 50000
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var deep discovery.ExportCursor
	err = db.tx(ctx, func(tx *sql.Tx) error {
		for _, acct := range []string{"111111111111", "222222222222"} {
			for i := range n {
				at := base.Add(time.Duration(i) * time.Second)
				id := "export-" + uuid.NewString()
				if _, err := tx.ExecContext(ctx, `INSERT INTO export_tasks (`+exportCols+`)
					VALUES (?, ?, 'summary', 'StartExportTask', '', 'SUCCEEDED', 'ok', ?, NULL, NULL, '', 0, ?, ?, 10, 0)`,
					id, acct, ms(at), ms(at), ms(at)); err != nil {
					return err
				}
				if acct == "111111111111" && i == n-45000 {
					deep = discovery.ExportCursor{RequestTimeMs: ms(at), ExportID: id}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		after *discovery.ExportCursor
	}{{"first-page", nil}, {"page-45000-deep", &deep}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				tasks, err := db.FindExportTasks(ctx, discovery.ExportQuery{AccountID: "111111111111", After: bc.after, Limit: 101})
				if err != nil || len(tasks) != 101 {
					b.Fatal(err, len(tasks))
				}
			}
		})
	}
	b.Run("by-agent", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.FindExportTasks(ctx, discovery.ExportQuery{AccountID: "111111111111", AgentIDs: []string{"o-1"}, Limit: 101}); err != nil {
				b.Fatal(err)
			}
		}
	})
	fmt.Fprintln(b.Output(), "tasks per account:", n)
}
