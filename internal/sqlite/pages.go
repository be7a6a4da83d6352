package sqlite

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Pages of export tasks answered from memory. Clients poll
// DescribeExportTasks many times a second for the same page while nothing
// changes. Every change to the database is a transaction of the one writer
// (groupcommit.go), which counts the transactions that have ended: a page
// read while the count was g is still what the database holds as long as
// the count is g, so FindExportTasks remembers the pages it read under the
// count it loaded before reading them and answers the same query from
// memory while the count has not moved. A page read across a commit is kept
// under the older count, which has already moved on: it is never answered.
// A client whose write was acknowledged reads after the count moved for it.
// Only this process writes its database, so the count is exact; the
// PostgreSQL store, shared by replicas, has no such count and reads every
// page.

// maxPages bounds the pages remembered for one count, and maxPageKey the
// size of a query's key (a long list of IDs is read, not remembered).
const (
	maxPages   = 1024
	maxPageKey = 4096
)

type exportPages struct {
	off   atomic.Bool // ReadEveryPage
	mu    sync.Mutex
	ended uint64
	pages map[string][]discovery.ExportTask
}

// ReadEveryPage makes FindExportTasks read every page from the database,
// for tests and benchmarks that change the database behind the store's back
// (through a second connection) or measure the query itself.
func (s *DB) ReadEveryPage() { s.pages.off.Store(true) }

// key is q as a string, or "" if it is too long to remember or the pages
// are read every time.
func (p *exportPages) key(q discovery.ExportQuery) string {
	if p.off.Load() {
		return ""
	}
	var b strings.Builder
	b.WriteString(q.AccountID)
	list := func(tag byte, vals []string) {
		if vals == nil {
			return
		}
		b.WriteByte(tag)
		b.WriteString(strconv.Itoa(len(vals)))
		for _, v := range vals {
			b.WriteByte(0)
			b.WriteString(v)
		}
	}
	list('i', q.IDs)
	list('a', q.AgentIDs)
	if q.After != nil {
		b.WriteString("\x00t")
		b.WriteString(strconv.FormatInt(q.After.RequestTimeMs, 10))
		b.WriteByte(0)
		b.WriteString(q.After.ExportID)
	}
	b.WriteString("\x00l")
	b.WriteString(strconv.Itoa(q.Limit))
	if b.Len() > maxPageKey {
		return ""
	}
	return b.String()
}

// get returns a copy of the page remembered for key under the count ended.
func (p *exportPages) get(ended uint64, key string) ([]*discovery.ExportTask, bool) {
	p.mu.Lock()
	page, ok := p.pages[key]
	ok = ok && p.ended == ended
	p.mu.Unlock()
	if !ok {
		return nil, false
	}
	return copyPage(page), true
}

// put remembers a copy of page for key under the count ended, unless the
// count has moved on since.
func (p *exportPages) put(ended uint64, key string, page []*discovery.ExportTask) {
	kept := make([]discovery.ExportTask, len(page))
	for i, t := range page {
		kept[i] = *t
	}
	if page == nil {
		kept = nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case ended < p.ended:
		return
	case ended > p.ended || p.pages == nil:
		p.ended, p.pages = ended, map[string][]discovery.ExportTask{}
	}
	if len(p.pages) < maxPages {
		p.pages[key] = kept
	}
}

// copyPage returns tasks of their own (callers may change them).
func copyPage(page []discovery.ExportTask) []*discovery.ExportTask {
	if page == nil {
		return nil
	}
	tasks := make([]discovery.ExportTask, len(page))
	copy(tasks, page)
	out := make([]*discovery.ExportTask, len(page))
	for i := range tasks {
		out[i] = &tasks[i]
	}
	return out
}
