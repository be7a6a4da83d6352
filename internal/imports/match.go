package imports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// RowResult is what importing one row did.
type RowResult struct {
	ServerID     string
	AppsCreated  int
	AppsAssoc    int
	LimitReached bool // the row would have created a server past MaxImportServers
}

// matchKeys lists the keys an import row matches an existing server on,
// in the order they are tried (spec attributes-and-import.md §2.3): the
// ServerId it names, then its ExternalId, which alone decides when given,
// then each IP address with each MAC address, the host name, and the
// VMware MoRefId with vCenter ID.
func matchKeys(r *discovery.ImportRow) []discovery.ServerKey {
	var keys []discovery.ServerKey
	if r.ServerID != "" {
		keys = append(keys, discovery.ServerKey{Kind: discovery.ByServerID, ID: r.ServerID})
	}
	if r.ExternalID != "" {
		return append(keys, discovery.ServerKey{Kind: discovery.ByExternalID, ExternalID: r.ExternalID})
	}
	for _, ip := range r.IPs {
		for _, mac := range r.MACs {
			keys = append(keys, discovery.ServerKey{Kind: discovery.ByIPAndMAC, IP: ip, MAC: mac})
		}
	}
	if r.HostName != "" {
		keys = append(keys, discovery.ServerKey{Kind: discovery.ByHostName, HostName: r.HostName})
	}
	if r.MoRefID != "" {
		keys = append(keys, discovery.ServerKey{Kind: discovery.ByVMware, MoRefID: r.MoRefID, VCenterID: r.VCenterID})
	}
	return keys
}

// matchServer returns the ID of the account's server the row matches, or
// "" when it matches none: the first key of matchKeys that a server holds.
func matchServer(ctx context.Context, tx discovery.ImportTx, r *discovery.ImportRow) (string, error) {
	for _, k := range matchKeys(r) {
		if id, err := tx.ServerWithKey(ctx, k); id != "" || err != nil {
			return id, err
		}
	}
	return "", nil
}

// ImportRow imports one row for the task inside tx: it merges the row into
// the server it matches or creates one (unless the account holds
// MaxImportServers imported servers already), records the row, creates or
// joins its applications and adds its tags. A task no longer in progress
// gives discovery.ErrImportTaskGone.
func ImportRow(ctx context.Context, tx discovery.ImportTx, taskID string, r *discovery.ImportRow, now time.Time) (*RowResult, error) {
	st, err := tx.ImportTaskState(ctx, taskID)
	if errors.Is(err, discovery.ErrNotFound) || (err == nil && st.Status != discovery.ImportInProgress) {
		return nil, discovery.ErrImportTaskGone
	}
	if err != nil {
		return nil, err
	}
	nowMS := now.UnixMilli()
	id, err := matchServer(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	created := id == ""
	if created {
		n, err := tx.CountImportedServers(ctx)
		if err != nil {
			return nil, err
		}
		if n >= discovery.MaxImportServers {
			return &RowResult{LimitReached: true}, nil
		}
		id = discovery.ServerPrefix + randHex17()
		err = tx.InsertImportedServer(ctx, newServer(id, r, nowMS))
	} else {
		err = tx.PatchServer(ctx, id, patch(r, nowMS))
	}
	if err != nil {
		return nil, err
	}
	if err := tx.RecordImport(ctx, discovery.ImportRecord{TaskID: taskID, ServerID: id, Created: created}); err != nil {
		return nil, err
	}
	res := &RowResult{ServerID: id}
	for _, name := range r.Applications {
		made, err := joinApplication(ctx, tx, name, r.Wave, id, now)
		if err != nil {
			return nil, err
		}
		if made {
			res.AppsCreated++
		}
		res.AppsAssoc++
	}
	for _, kv := range r.Tags {
		if err := tx.AddTag(ctx, id, discovery.Tag{Key: kv[0], Value: kv[1]}, nowMS); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// importRow imports one row of task t in a transaction of its own.
func (s *Service) importRow(ctx context.Context, t *discovery.ImportTask, row *discovery.ImportRow) (*RowResult, error) {
	var res *RowResult
	err := s.Store.ImportTx(ctx, t.AccountID, func(tx discovery.ImportTx) (err error) {
		res, err = ImportRow(ctx, tx, t.ID, row, s.Now())
		return err
	})
	return res, err
}

// newServer is the server a row that matches none creates: its interfaces
// are eth0, eth1, … with the row's IP addresses, each with the MAC address
// in the same position, if any.
func newServer(id string, r *discovery.ImportRow, nowMS int64) *discovery.ImportedServer {
	s := &discovery.ImportedServer{ID: id, ExternalID: r.ExternalID, HostName: r.HostName, OSName: r.OSName, OSVersion: r.OSVersion,
		CPUs: r.CPUs, Cores: r.Cores, Logical: r.Logical, RAMMB: r.RAMMB, MoRefID: r.MoRefID, VMName: r.VMName, VCenterID: r.VCenterID, CreatedMS: nowMS}
	for i, ip := range r.IPs {
		n := discovery.NIC{Name: fmt.Sprintf("eth%d", i), IPAddress: ip}
		if i < len(r.MACs) {
			n.MACAddress = r.MACs[i]
		}
		s.NICs = append(s.NICs, n)
	}
	return s
}

// patch is what a row changes on the server it matched: the identity and
// OS attributes it gives (not empty) replace the server's.
func patch(r *discovery.ImportRow, nowMS int64) *discovery.ServerPatch {
	given := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	return &discovery.ServerPatch{ExternalID: given(r.ExternalID), HostName: given(r.HostName), OSName: given(r.OSName),
		OSVersion: given(r.OSVersion), UpdatedMS: nowMS}
}

// joinApplication makes the server a member of the account's application
// named name, creating the application if there is none (made). A wave
// the row gives becomes the application's.
func joinApplication(ctx context.Context, tx discovery.ImportTx, name, wave, serverID string, now time.Time) (made bool, err error) {
	app, err := tx.ApplicationNamed(ctx, name)
	switch {
	case err != nil:
		return false, err
	case app == "":
		app, made = discovery.ApplicationPrefix+randHex17(), true
		err = tx.InsertApplication(ctx, &discovery.Application{ID: app, Name: name, Wave: wave, Created: now, Updated: now})
	case wave != "":
		err = tx.SetApplicationWave(ctx, app, wave, now.UnixMilli())
	}
	if err != nil {
		return false, err
	}
	return made, tx.AddApplicationServer(ctx, app, serverID)
}

// DeleteData removes, inside tx, the data an import task brought: the
// servers it created (with their interfaces, memberships and tags) unless
// an agent now reports them or another task also recorded them, and the
// task's records; the task ends DELETE_COMPLETE, hidden from
// DescribeImportTasks with its history. A task unknown or already hidden
// gives discovery.ErrNotFound.
func DeleteData(ctx context.Context, tx discovery.ImportTx, taskID string, history bool, now time.Time) error {
	st, err := tx.ImportTaskState(ctx, taskID)
	if err == nil && st.Hidden {
		err = discovery.ErrNotFound
	}
	if err != nil {
		return err
	}
	recs, err := tx.ImportRecords(ctx, taskID)
	if err != nil {
		return err
	}
	var gone []string
	for _, r := range recs {
		if r.Created && r.ServerExists && r.AgentID == "" && !r.OtherTasks {
			gone = append(gone, r.ServerID)
		}
	}
	if err := tx.Delete(ctx, &discovery.Deletion{Servers: gone, InterfacesOf: gone, MembershipsOf: gone, TagsOf: gone}); err != nil {
		return err
	}
	if err := tx.DeleteImportRecords(ctx, taskID); err != nil {
		return err
	}
	return tx.EndImportTask(ctx, taskID, discovery.ImportDeleteComplete, now.UnixMilli(), history)
}

// randHex17 is the random part of a new server's or application's ID.
func randHex17() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:17]
}
