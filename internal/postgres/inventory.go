package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// The inventory read side: configuration items, neighbors and the discovery
// summary. An item query (discovery.ItemQuery: typed predicates and sort
// keys, whose meaning the inventory use case decided) is translated to SQL
// with parameters only; every value travels as a bound parameter, a list as
// one array parameter, whatever its length.

// fieldSQL is how a filter or sort field reads in SQL. A scalar field has
// expr, an SQL expression over the type's FROM clause that is never NULL
// (NULL only for numeric fields without data: no value to match). A field
// over a related list (a child table) has from, the FROM ... WHERE of a
// correlated subquery, and inner, the compared column inside it.
//
// A keyed field's expr is a column whose short values are kept whole in an
// index (servers_by_host, ...) and whose long values are kept by their
// indexKey in another (servers_by_host_long, ...): see shortValue. An
// equality and a page sorted by the field read both.
type fieldSQL struct {
	expr  string
	from  string
	inner string
	keyed bool
}

// itemSQL describes one configuration item type.
type itemSQL struct {
	from   string // FROM clause; the base table's alias is base
	base   string
	id     string // configuration ID expression
	cols   string // selected columns, read by scan
	scan   func(r pgx.Rows, extra []any) (discovery.Item, error)
	fields map[discovery.Field]fieldSQL
}

const (
	nicRel  = `network_interfaces n WHERE n.account_id = s.account_id AND n.server_id = s.server_id`
	tagRel  = `tags t WHERE t.account_id = s.account_id AND t.configuration_id = s.server_id`
	appRel  = `application_servers x WHERE x.account_id = s.account_id AND x.server_id = s.server_id`
	appJoin = `application_servers x JOIN applications a ON a.account_id = x.account_id AND a.application_id = x.application_id
		WHERE x.account_id = s.account_id AND x.server_id = s.server_id`
	procRel = `processes p WHERE p.account_id = s.account_id AND p.server_id = s.server_id`
)

func scalar(expr string) fieldSQL         { return fieldSQL{expr: expr} }
func keyed(expr string) fieldSQL          { return fieldSQL{expr: expr, keyed: true} }
func related(from, inner string) fieldSQL { return fieldSQL{from: from, inner: inner} }

// perfExpr is an aggregate that exists once a server has samples. It computes
// exactly what DescribeConfigurations shows (same operations, same order).
func perfExpr(e string) string {
	return `(CASE WHEN s.perf_samples > 0 THEN ` + e + ` END)`
}

// notCollected is the value of a field poseidon does not collect.
const notCollected = `''::text`

var itemTypes = map[discovery.ItemType]*itemSQL{
	discovery.TypeServer: {
		from: `servers s`, base: "s", id: "s.server_id",
		cols: `s.server_id, s.agent_id, s.host_name, s.os_name, s.os_version, s.server_type, s.created_ms`,
		scan: func(r pgx.Rows, extra []any) (discovery.Item, error) {
			var v discovery.Server
			var created int64
			err := r.Scan(append([]any{&v.ID, &v.AgentID, &v.HostName, &v.OSName, &v.OSVersion, &v.Type, &created}, extra...)...)
			v.Created = fromMs(created)
			return discovery.Item{Server: &v}, err
		},
		fields: map[discovery.Field]fieldSQL{
			discovery.FieldServerID:        scalar("s.server_id"),
			discovery.FieldServerHostName:  keyed("s.host_name"),
			discovery.FieldServerOSName:    keyed("s.os_name"),
			discovery.FieldServerOSVersion: keyed("s.os_version"),
			discovery.FieldServerAgentID:   scalar("s.agent_id"),
			discovery.FieldServerConnectorID: scalar(`COALESCE((SELECT g.connector_id FROM agents g
				WHERE g.account_id = s.account_id AND g.agent_id = s.agent_id AND s.agent_id <> ''), '')`),
			discovery.FieldServerType:                   scalar("s.server_type"),
			discovery.FieldServerVMMoRefID:              scalar("s.vm_moref_id"),
			discovery.FieldServerVCenterID:              scalar("s.vcenter_id"),
			discovery.FieldServerVMHostID:               scalar("s.vm_host_id"),
			discovery.FieldServerPortGroupID:            scalar(notCollected),
			discovery.FieldServerPortGroupName:          scalar(notCollected),
			discovery.FieldServerVirtualSwitchName:      scalar(notCollected),
			discovery.FieldServerNICIPAddress:           related(nicRel, "n.ip_address"),
			discovery.FieldServerNICMACAddress:          related(nicRel, "n.mac_address"),
			discovery.FieldServerAvgCPUPct:              scalar(perfExpr("s.cpu_sum / s.perf_samples")),
			discovery.FieldServerDiskFreeKB:             scalar(perfExpr("s.disk_free_gb * 1048576")),
			discovery.FieldServerAvgFreeRAMKB:           scalar(perfExpr("s.free_ram_sum / s.perf_samples * 1024")),
			discovery.FieldServerTagValue:               related(tagRel, "t.value"),
			discovery.FieldServerTagKey:                 related(tagRel, "t.key"),
			discovery.FieldServerApplicationName:        related(appJoin, "a.name"),
			discovery.FieldServerApplicationDescription: related(appJoin, "a.description"),
			discovery.FieldServerApplicationID:          related(appRel, "x.application_id"),
			discovery.FieldServerProcessID:              related(procRel, "p.process_id"),
			discovery.FieldServerProcessName:            related(procRel, "p.name"),
			discovery.FieldServerProcessCommandLine:     related(procRel, "p.command_line"),
		},
	},
	discovery.TypeProcess: {
		from: `processes p LEFT JOIN servers s ON s.account_id = p.account_id AND s.server_id = p.server_id`,
		base: "p", id: "p.process_id",
		cols: `p.process_id, p.server_id, p.agent_id, p.name, p.command_line, p.path, p.created_ms`,
		scan: func(r pgx.Rows, extra []any) (discovery.Item, error) {
			var v discovery.Process
			var created int64
			err := r.Scan(append([]any{&v.ID, &v.ServerID, &v.AgentID, &v.Name, &v.CommandLine, &v.Path, &created}, extra...)...)
			v.Created = fromMs(created)
			return discovery.Item{Process: &v}, err
		},
		fields: map[discovery.Field]fieldSQL{
			discovery.FieldProcessID:              scalar("p.process_id"),
			discovery.FieldProcessName:            scalar("p.name"),
			discovery.FieldProcessCommandLine:     scalar("p.command_line"),
			discovery.FieldProcessServerID:        scalar("p.server_id"),
			discovery.FieldProcessServerHostName:  scalar("COALESCE(s.host_name, '')"),
			discovery.FieldProcessServerOSName:    scalar("COALESCE(s.os_name, '')"),
			discovery.FieldProcessServerOSVersion: scalar("COALESCE(s.os_version, '')"),
			discovery.FieldProcessAgentID:         scalar("p.agent_id"),
		},
	},
	discovery.TypeConnection: {
		from: `connections c
			LEFT JOIN servers ss ON ss.account_id = c.account_id AND ss.server_id = c.source_server_id AND c.source_server_id <> ''
			LEFT JOIN servers ds ON ds.account_id = c.account_id AND ds.server_id = c.destination_server_id AND c.destination_server_id <> ''
			LEFT JOIN processes sp ON sp.account_id = c.account_id AND sp.process_id = c.source_process_id AND c.source_process_id <> ''
			LEFT JOIN processes dp ON dp.account_id = c.account_id AND dp.process_id = c.destination_process_id AND c.destination_process_id <> ''`,
		base: "c", id: "c.connection_id",
		cols: `c.connection_id, c.source_ip, c.destination_ip, c.destination_port, c.ip_version, c.transport_protocol,
			c.occurrence, c.latest_ms, c.source_server_id, COALESCE(ss.host_name, ''), c.destination_server_id, COALESCE(ds.host_name, ''),
			c.source_process_id, COALESCE(sp.name, ''), c.destination_process_id, COALESCE(dp.name, '')`,
		scan: func(r pgx.Rows, extra []any) (discovery.Item, error) {
			var v discovery.Connection
			var latest int64
			err := r.Scan(append([]any{&v.ID, &v.SourceIP, &v.DestinationIP, &v.DestinationPort, &v.IPVersion, &v.TransportProtocol,
				&v.Occurrence, &latest, &v.SourceServerID, &v.SourceServerHost, &v.DestServerID, &v.DestServerHost,
				&v.SourceProcessID, &v.SourceProcessName, &v.DestProcessID, &v.DestProcessName}, extra...)...)
			v.Latest = fromMs(latest)
			v.ID = connectionID(v.ID)
			return discovery.Item{Connection: &v}, err
		},
		fields: map[discovery.Field]fieldSQL{
			discovery.FieldConnectionSourceIP:                      scalar("c.source_ip"),
			discovery.FieldConnectionDestinationIP:                 scalar("c.destination_ip"),
			discovery.FieldConnectionDestinationPort:               scalar("c.destination_port"),
			discovery.FieldConnectionSourceServerID:                scalar("c.source_server_id"),
			discovery.FieldConnectionSourceServerHostName:          scalar("COALESCE(ss.host_name, '')"),
			discovery.FieldConnectionSourceServerOSName:            scalar("COALESCE(ss.os_name, '')"),
			discovery.FieldConnectionSourceServerOSVersion:         scalar("COALESCE(ss.os_version, '')"),
			discovery.FieldConnectionSourceServerAgentID:           scalar("COALESCE(ss.agent_id, '')"),
			discovery.FieldConnectionDestinationServerID:           scalar("c.destination_server_id"),
			discovery.FieldConnectionDestinationServerHostName:     scalar("COALESCE(ds.host_name, '')"),
			discovery.FieldConnectionDestinationServerOSName:       scalar("COALESCE(ds.os_name, '')"),
			discovery.FieldConnectionDestinationServerOSVersion:    scalar("COALESCE(ds.os_version, '')"),
			discovery.FieldConnectionDestinationServerAgentID:      scalar("COALESCE(ds.agent_id, '')"),
			discovery.FieldConnectionSourceProcessID:               scalar("c.source_process_id"),
			discovery.FieldConnectionSourceProcessName:             scalar("COALESCE(sp.name, '')"),
			discovery.FieldConnectionSourceProcessCommandLine:      scalar("COALESCE(sp.command_line, '')"),
			discovery.FieldConnectionDestinationProcessID:          scalar("c.destination_process_id"),
			discovery.FieldConnectionDestinationProcessName:        scalar("COALESCE(dp.name, '')"),
			discovery.FieldConnectionDestinationProcessCommandLine: scalar("COALESCE(dp.command_line, '')"),
		},
	},
	discovery.TypeApplication: {
		from: `applications a`, base: "a", id: "a.application_id",
		cols: `a.application_id, a.name, a.description, a.created_ms, a.updated_ms, ` + appServerCount,
		scan: func(r pgx.Rows, extra []any) (discovery.Item, error) {
			var v discovery.Application
			var created, updated int64
			err := r.Scan(append([]any{&v.ID, &v.Name, &v.Description, &created, &updated, &v.ServerCount}, extra...)...)
			v.Created, v.Updated = fromMs(created), fromMs(updated)
			return discovery.Item{Application: &v}, err
		},
		fields: map[discovery.Field]fieldSQL{
			discovery.FieldApplicationID:          scalar("a.application_id"),
			discovery.FieldApplicationName:        scalar("a.name"),
			discovery.FieldApplicationDescription: scalar("a.description"),
			discovery.FieldApplicationServerCount: scalar(appServerCount),
			discovery.FieldApplicationCreated:     scalar("a.created_ms"),
			discovery.FieldApplicationUpdated:     scalar("a.updated_ms"),
			discovery.FieldApplicationServerID: related(`application_servers x
				WHERE x.account_id = a.account_id AND x.application_id = a.application_id`, "x.server_id"),
		},
	},
}

const appServerCount = `(SELECT count(*) FROM application_servers x WHERE x.account_id = a.account_id AND x.application_id = a.application_id)`

// values are p's values as one array argument and its element's SQL type:
// Nums, else Ints, else Text.
func values(p discovery.Predicate) (arg any, n int, typ string) {
	switch {
	case p.Nums != nil:
		return p.Nums, len(p.Nums), "float8"
	case p.Ints != nil:
		return p.Ints, len(p.Ints), "bigint"
	}
	return nonNil(p.Text), len(p.Text), "text"
}

// first is the first of p's values, for a predicate of one value.
func first(p discovery.Predicate) any {
	switch {
	case p.Nums != nil:
		return p.Nums[0]
	case p.Ints != nil:
		return p.Ints[0]
	}
	return p.Text[0]
}

// match is the SQL of "e matches v" for SQL expressions e and v. Folding
// lowers ASCII letters only: lower() under the "C" collation.
func match(e, v string, m discovery.Match, fold bool) (string, error) {
	if fold {
		e, v = `lower((`+e+`) COLLATE "C")`, `lower((`+v+`) COLLATE "C")`
	}
	switch m {
	case discovery.MatchEqual:
		return e + " = " + v, nil
	case discovery.MatchContains:
		return "strpos(" + e + ", " + v + ") > 0", nil
	case discovery.MatchAtLeast:
		return e + " >= " + v, nil
	case discovery.MatchAtMost:
		return e + " <= " + v, nil
	case discovery.MatchAbove:
		return e + " > " + v, nil
	case discovery.MatchBelow:
		return e + " < " + v, nil
	}
	return "", fmt.Errorf("unknown match %d", m)
}

// matchAny is the SQL of "e matches one of the values of array", an SQL
// expression of an array.
func matchAny(e, array string, m discovery.Match, fold bool) (string, error) {
	if m == discovery.MatchEqual && !fold {
		return e + " = ANY(" + array + ")", nil
	}
	one, err := match(e, "v.x", m, fold)
	return "EXISTS (SELECT 1 FROM unnest(" + array + ") AS v(x) WHERE " + one + ")", err
}

// field is the SQL of p's field, which must agree with p.
func (it *itemSQL) field(p discovery.Predicate) (fieldSQL, error) {
	f, ok := it.fields[p.Field]
	switch {
	case !ok:
		return f, fmt.Errorf("no SQL for field %d", p.Field)
	case p.Multi != (f.from != ""):
		return f, fmt.Errorf("field %d: predicate says multi-valued %v, the store %v", p.Field, p.Multi, f.from != "")
	case p.Quant != discovery.AnyMatch && p.Quant != discovery.NoMatch:
		return f, fmt.Errorf("field %d: unknown quantifier %d", p.Field, p.Quant)
	}
	return f, nil
}

// compared is the expression a predicate compares: the scalar expression,
// or the column of the related list.
func (f fieldSQL) compared() string {
	if f.from != "" {
		return f.inner
	}
	return f.expr
}

// some is the SQL of "one of the item's values satisfies cond", cond being
// SQL over compared().
func (f fieldSQL) some(cond string) string {
	if f.from != "" {
		return "EXISTS (SELECT 1 FROM " + f.from + " AND " + cond + ")"
	}
	return cond
}

// conditions adds the SQL of predicates, joined by AND, to w. However many
// predicates and values a query holds, the SQL has a bounded number of
// terms and parameters (PostgreSQL takes at most 65,535 parameters): a list
// of values is one array parameter, and predicates that differ only in
// their values are packed into one term over all their values.
func (it *itemSQL) conditions(w *where, ps []discovery.Predicate) error {
	for _, group := range discovery.GroupPredicates(ps) {
		text, err := it.packed(w, group)
		if err != nil {
			return err
		}
		w.terms = append(w.terms, text)
	}
	return nil
}

// packed is the SQL of predicates that differ only in their values, all of
// which must hold. Their values travel as one array and the number of the
// predicate each belongs to as another.
func (it *itemSQL) packed(w *where, ps []discovery.Predicate) (string, error) {
	if len(ps) == 1 {
		return it.predicate(w, ps[0])
	}
	p := ps[0]
	f, err := it.field(p)
	if err != nil {
		return "", err
	}
	// The kind of the predicates' values: that of the first with values.
	typ := "text"
	for _, o := range ps {
		if _, n, t := values(o); n > 0 {
			typ = t
			break
		}
	}
	nums, ints, texts, group := []float64{}, []int64{}, []string{}, []int32{}
	for i, o := range ps {
		_, n, t := values(o)
		if n > 0 && t != typ {
			return "", fmt.Errorf("field %d: predicates with values of different kinds", p.Field)
		}
		nums, ints, texts = append(nums, o.Nums...), append(ints, o.Ints...), append(texts, o.Text...)
		for range n {
			group = append(group, int32(i+1))
		}
	}
	vals := map[string]any{"float8": nums, "bigint": ints, "text": texts}[typ]
	one, err := match(f.compared(), "v.x", p.Match, p.Fold)
	if err != nil {
		return "", err
	}
	// grp.g numbers one predicate. AnyMatch: no predicate lacks a match
	// (NULL, a field without value, is no match); NoMatch: no predicate has
	// one.
	one = f.some("EXISTS (SELECT 1 FROM unnest(" + w.param(vals) + "::" + typ + "[], " + w.param(group) +
		"::integer[]) AS v(x, g) WHERE v.g = grp.g AND " + one + ")")
	if p.Quant == discovery.AnyMatch {
		one = "(" + one + ") IS NOT TRUE"
	}
	return "NOT EXISTS (SELECT 1 FROM generate_series(1, " + w.param(len(ps)) + "::integer) AS grp(g) WHERE " + one + ")", nil
}

// predicate is the SQL of one predicate.
func (it *itemSQL) predicate(w *where, p discovery.Predicate) (string, error) {
	f, err := it.field(p)
	if err != nil {
		return "", err
	}
	arg, n, typ := values(p)
	var cond string
	switch n {
	case 0:
		if p.Quant == discovery.AnyMatch {
			return "false", nil
		}
		return "true", nil
	case 1:
		if f.keyed && p.Match == discovery.MatchEqual && !p.Fold && p.Quant == discovery.AnyMatch {
			return equalSplit(f.expr, w.param(first(p))+"::text"), nil
		}
		cond, err = match(f.compared(), w.param(first(p))+"::"+typ, p.Match, p.Fold)
	default:
		if f.keyed && p.Match == discovery.MatchEqual && !p.Fold && p.Quant == discovery.AnyMatch {
			return equalAnySplit(f.expr, w.param(arg)+"::text[]"), nil
		}
		cond, err = matchAny(f.compared(), w.param(arg)+"::"+typ+"[]", p.Match, p.Fold)
	}
	if err != nil {
		return "", err
	}
	text := f.some(cond)
	if p.Quant == discovery.NoMatch {
		if f.from != "" {
			return "NOT " + text, nil
		}
		// A field without value (NULL) has no matching value.
		return "(" + text + ") IS NOT TRUE", nil
	}
	return text, nil
}

// keysetAfter is the condition "after vals" for keys exprs in directions
// desc: a row-value comparison per run of keys sorted the same way, runs
// chained with OR: (a,b) > ($1,$2) OR ((a,b) = ($1,$2) AND (c) < ($3)). A
// run that leads the sort order after the account is a range condition of
// the index in that order.
func keysetAfter(w *where, exprs []string, desc []bool, vals []any) string {
	j := 1
	for j < len(exprs) && desc[j] == desc[0] {
		j++
	}
	row := "(" + strings.Join(exprs[:j], ", ") + ")"
	ph := make([]string, j)
	for i := range ph {
		ph[i] = w.param(vals[i])
	}
	tuple := "(" + strings.Join(ph, ", ") + ")"
	op := " > "
	if desc[0] {
		op = " < "
	}
	if j == len(exprs) {
		return row + op + tuple
	}
	rest := keysetAfter(w, exprs[j:], desc[j:], vals[j:])
	return "(" + row + op + tuple + " OR (" + row + " = " + tuple + " AND " + rest + "))"
}

// itemsQuery is the SQL of q and its arguments; the sort key values and
// the raw ID follow the type's columns.
func itemsQuery(q discovery.ItemQuery) (*itemSQL, string, []any, error) {
	it, ok := itemTypes[q.Type]
	if !ok {
		return nil, "", nil, fmt.Errorf("unknown configuration type %q", q.Type)
	}
	var w where
	w.add(it.base+".account_id = $%d", q.Account)
	if q.IDs != nil {
		ids := q.IDs
		if q.Type == discovery.TypeConnection {
			ids = storedConnectionIDs(ids)
		}
		w.add(it.id+" = ANY($%d::text[])", ids)
	}
	if err := it.conditions(&w, q.Where); err != nil {
		return nil, "", nil, err
	}
	// Sort keys, then the ID in the direction of the last key.
	exprs := make([]string, 0, len(q.Order)+1)
	desc := make([]bool, 0, len(q.Order)+1)
	for _, o := range q.Order {
		f, ok := it.fields[o.Field]
		if !ok || f.expr == "" {
			return nil, "", nil, fmt.Errorf("field %d is not sortable in SQL", o.Field)
		}
		exprs = append(exprs, f.expr)
		desc = append(desc, o.Desc)
	}
	exprs = append(exprs, it.id)
	desc = append(desc, len(q.Order) > 0 && q.Order[len(q.Order)-1].Desc)
	if q.After != nil {
		if len(q.After.Keys) != len(q.Order) {
			return nil, "", nil, fmt.Errorf("cursor has %d keys, order %d", len(q.After.Keys), len(q.Order))
		}
		w.terms = append(w.terms, keysetAfter(&w, exprs, desc, append(append([]any{}, q.After.Keys...), q.After.ID)))
	}
	limit := ""
	if q.Limit > 0 {
		limit = " LIMIT " + w.param(q.Limit)
	}
	if len(q.Order) == 0 || !it.fields[q.Order[0].Field].keyed {
		return it, "SELECT " + it.cols + ", " + strings.Join(exprs, ", ") + " FROM " + it.from +
			" WHERE " + w.String() + " ORDER BY " + orderBy(exprs, desc) + limit, w.args, nil
	}
	// A keyed first field: its short values in the order of their index,
	// the long ones in the order of their key, sorting only those that
	// share a key; then the page of both.
	k := exprs[0]
	cols := it.cols
	names := make([]string, len(exprs))
	for i, e := range exprs {
		names[i] = "k" + strconv.Itoa(i)
		cols += ", " + e + " AS " + names[i]
	}
	short := "SELECT " + cols + " FROM " + it.from + " WHERE " + w.String() + " AND " + shortValue(k) +
		" ORDER BY " + orderBy(exprs, desc) + limit
	longTerms := w.String() + " AND " + longValue(k)
	if q.After != nil {
		op := " >= "
		if desc[0] {
			op = " <= "
		}
		longTerms += " AND " + indexKey(k) + op + indexKey(w.param(q.After.Keys[0])+"::text")
	}
	long := "SELECT " + cols + " FROM " + it.from + " WHERE " + longTerms +
		" ORDER BY " + orderBy(append([]string{indexKey(k)}, exprs...), append([]bool{desc[0]}, desc...)) + limit
	query := "SELECT * FROM ((" + short + ") UNION ALL (" + long + ")) AS u ORDER BY " + orderBy(names, desc) + limit
	return it, query, w.args, nil
}

// orderBy is an ORDER BY list of exprs in directions desc.
func orderBy(exprs []string, desc []bool) string {
	order := make([]string, len(exprs))
	for i, e := range exprs {
		order[i] = e + " ASC"
		if desc[i] {
			order[i] = e + " DESC"
		}
	}
	return strings.Join(order, ", ")
}

// ListItems implements inventory.Store: one statement. A page sorted by
// the ID or by an indexed field (servers_by_host, ...) is a range scan of
// that index from the keyset cursor (for a field of a long value, also of
// its index of long values, servers_by_host_long, ...).
func (s *DB) ListItems(ctx context.Context, q discovery.ItemQuery) ([]discovery.Item, error) {
	it, query, args, err := itemsQuery(q)
	if err != nil {
		return nil, err
	}
	var out []discovery.Item
	err = eachRow(ctx, s.rd, query, args, func(rows pgx.Rows) error {
		keys := make([]any, len(q.Order))
		var rawID string
		extra := make([]any, len(keys), len(keys)+1)
		for i := range keys {
			extra[i] = &keys[i]
		}
		item, err := it.scan(rows, append(extra, &rawID))
		if err != nil {
			return err
		}
		item.Cursor = discovery.ItemCursor{Keys: keys, ID: rawID}
		out = append(out, item)
		return nil
	})
	return out, err
}

// snapshot runs fn in a read-only REPEATABLE READ transaction, so that its
// queries see one state of the database.
func (s *DB) snapshot(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.rd, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

const serverDetailCols = `s.server_id, s.agent_id, s.source, s.host_name, s.os_name, s.os_version, s.cpu_type, s.hypervisor, s.server_type,
	s.created_ms, s.num_cpus, s.num_cores, s.num_disks, s.num_nics, s.total_ram_mb, ` + perfAggregateCols

// DescribeServers implements inventory.Store: four queries (servers,
// interfaces, applications, tags) of one snapshot, whatever the number of
// IDs.
func (s *DB) DescribeServers(ctx context.Context, account string, ids []string) ([]discovery.ServerDetail, error) {
	var out []discovery.ServerDetail
	err := s.snapshot(ctx, func(q pgx.Tx) error {
		out = nil
		index := map[string]int{}
		err := eachRow(ctx, q, `SELECT `+serverDetailCols+` FROM servers s
			WHERE s.account_id = $1 AND s.server_id = ANY($2) ORDER BY s.server_id`, []any{account, nonNil(ids)}, func(rows pgx.Rows) error {
			var v discovery.ServerDetail
			var created int64
			var minFree *float64
			dest := append([]any{&v.ID, &v.AgentID, &v.Source, &v.HostName, &v.OSName, &v.OSVersion, &v.CPUType, &v.Hypervisor, &v.Type,
				&created, &v.NumCPUs, &v.NumCores, &v.NumDisks, &v.NumNICs, &v.TotalRAMMB}, perfAggregateDest(&v.Perf, &minFree)...)
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			v.Created = fromMs(created)
			setFreeMin(&v.Perf, minFree)
			v.NICs, v.Applications, v.Tags = []discovery.NIC{}, []discovery.ApplicationRef{}, []discovery.Tag{}
			index[v.ID] = len(out)
			out = append(out, v)
			return nil
		})
		if err != nil || len(out) == 0 {
			return err
		}
		found := make([]string, len(out))
		for i := range out {
			found[i] = out[i].ID
		}
		err = eachRow(ctx, q, `SELECT server_id, name, mac_address, ip_address, net_mask, family FROM network_interfaces
			WHERE account_id = $1 AND server_id = ANY($2) ORDER BY server_id, name, ip_address`,
			[]any{account, found}, func(r pgx.Rows) error {
				var id string
				var n discovery.NIC
				if err := r.Scan(&id, &n.Name, &n.MACAddress, &n.IPAddress, &n.NetMask, &n.Family); err != nil {
					return err
				}
				out[index[id]].AddNIC(n)
				return nil
			})
		if err != nil {
			return err
		}
		err = eachRow(ctx, q, `SELECT x.server_id, a.application_id, a.name FROM application_servers x
			JOIN applications a ON a.account_id = x.account_id AND a.application_id = x.application_id
			WHERE x.account_id = $1 AND x.server_id = ANY($2) ORDER BY x.server_id, a.name, a.application_id`,
			[]any{account, found}, func(r pgx.Rows) error {
				var id string
				var a discovery.ApplicationRef
				if err := r.Scan(&id, &a.ID, &a.Name); err != nil {
					return err
				}
				out[index[id]].AddApplication(a)
				return nil
			})
		if err != nil {
			return err
		}
		return eachRow(ctx, q, `SELECT configuration_id, key, value FROM tags
			WHERE account_id = $1 AND configuration_id = ANY($2) ORDER BY configuration_id, key, value`,
			[]any{account, found}, func(r pgx.Rows) error {
				var id string
				var t discovery.Tag
				if err := r.Scan(&id, &t.Key, &t.Value); err != nil {
					return err
				}
				out[index[id]].AddTag(t)
				return nil
			})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// neighborEdges is the CTE of a server's edges to other known servers, in
// both directions, restricted to q.Only when set; other is the far end.
func neighborEdges(w *where, q discovery.NeighborQuery) string {
	acct, sid := w.param(q.Account), w.param(q.ServerID)
	text := `WITH e(src, dst, port, proto, n, other) AS (
			SELECT source_server_id, destination_server_id, destination_port, transport_protocol, occurrence, destination_server_id
			FROM connections WHERE account_id = ` + acct + ` AND source_server_id = ` + sid + ` AND destination_server_id NOT IN ('', ` + sid + `)
			UNION ALL
			SELECT source_server_id, destination_server_id, destination_port, transport_protocol, occurrence, source_server_id
			FROM connections WHERE account_id = ` + acct + ` AND destination_server_id = ` + sid + ` AND source_server_id NOT IN ('', ` + sid + `)
		), k AS (
			SELECT e.* FROM e WHERE EXISTS (SELECT 1 FROM servers o WHERE o.account_id = ` + acct + ` AND o.server_id = e.other)`
	if len(q.Only) > 0 {
		text += ` AND e.other = ANY(` + w.param(q.Only) + `::text[])`
	}
	return text + ")\n"
}

// ListNeighbors implements inventory.Store.
func (s *DB) ListNeighbors(ctx context.Context, q discovery.NeighborQuery) ([]discovery.Neighbor, error) {
	var w where
	text := neighborEdges(&w, q)
	if q.Ports {
		text += `, g AS (SELECT src, dst, port, proto, sum(n)::bigint AS n FROM k GROUP BY src, dst, port, proto)`
	} else {
		text += `, g AS (SELECT src, dst, -1::bigint AS port, ''::text COLLATE "C" AS proto, sum(n)::bigint AS n FROM k GROUP BY src, dst)`
	}
	text += ` SELECT src, dst, port, proto, n FROM g`
	if c := q.After; c != nil {
		text += ` WHERE (src, dst, port, proto) > (` + w.param(c.Source) + `::text, ` + w.param(c.Destination) + `::text, ` +
			w.param(c.Port) + `::bigint, ` + w.param(c.Protocol) + `::text)`
	}
	text += ` ORDER BY src, dst, port, proto`
	if q.Limit > 0 {
		text += ` LIMIT ` + w.param(q.Limit)
	}
	out := []discovery.Neighbor{}
	err := eachRow(ctx, s.rd, text, w.args, func(r pgx.Rows) error {
		var n discovery.Neighbor
		if err := r.Scan(&n.Source, &n.Destination, &n.Port, &n.Protocol, &n.Count); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

// CountNeighbors implements inventory.Store.
func (s *DB) CountNeighbors(ctx context.Context, q discovery.NeighborQuery) (int64, error) {
	var w where
	text := neighborEdges(&w, q)
	var n int64
	err := s.rd.QueryRow(ctx, text+` SELECT count(DISTINCT other) FROM k`, w.args...).Scan(&n)
	return n, err
}

// Summary implements inventory.Store: the counts of one snapshot.
func (s *DB) Summary(ctx context.Context, account string) (*discovery.SummaryCounts, error) {
	var c *discovery.SummaryCounts
	err := s.snapshot(ctx, func(q pgx.Tx) error {
		c = &discovery.SummaryCounts{}
		err := q.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM servers WHERE account_id = $1),
			(SELECT count(*) FROM applications WHERE account_id = $1),
			(SELECT count(*) FROM servers s WHERE s.account_id = $1 AND EXISTS (SELECT 1 FROM application_servers x
				WHERE x.account_id = s.account_id AND x.server_id = s.server_id)),
			(SELECT count(*) FROM servers s WHERE s.account_id = $1 AND EXISTS (SELECT 1 FROM tags t
				WHERE t.account_id = s.account_id AND t.configuration_id = s.server_id))`,
			account).Scan(&c.Servers, &c.Applications, &c.ServersInApplications, &c.ServersWithTags)
		if err != nil {
			return err
		}
		return eachRow(ctx, q, `SELECT agent_type, health, collection_status, count(*) FROM agents
			WHERE account_id = $1 GROUP BY agent_type, health, collection_status ORDER BY 1, 2, 3`, []any{account}, func(r pgx.Rows) error {
			var a discovery.AgentCount
			if err := r.Scan(&a.Type, &a.Health, &a.CollectionStatus, &a.Count); err != nil {
				return err
			}
			c.Agents = append(c.Agents, a)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
