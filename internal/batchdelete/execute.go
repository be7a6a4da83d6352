package batchdelete

import (
	"context"
	"errors"
	"time"

	"github.com/poseidon-ads/poseidon/internal/discovery"
)

// Execute runs the account's task id inside tx and completes it at end: each
// requested ID that names a server of the account is deleted with what
// hangs off it (deletion); any other ID fails as not found. A server whose
// agent still collects is deleted with a warning. A task unknown or
// already finished is left as it is.
func Execute(ctx context.Context, tx discovery.BatchDeleteTx, id string, end time.Time) error {
	t, err := tx.BatchDeleteTask(ctx, id)
	if errors.Is(err, discovery.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if t.Status == discovery.BatchDeleteCompleted || t.Status == discovery.BatchDeleteFailed {
		return nil
	}
	t.Deleted, t.Failures, t.Warnings = []string{}, nil, nil
	for _, cid := range t.Requested {
		agentID, err := serverAgent(ctx, tx, cid)
		if errors.Is(err, discovery.ErrNotFound) {
			t.Failures = append(t.Failures, discovery.BatchDeleteNotFound(cid))
			continue
		}
		if err != nil {
			return err
		}
		if agentID != "" {
			status, err := tx.AgentCollectionStatus(ctx, agentID)
			if err != nil && !errors.Is(err, discovery.ErrNotFound) {
				return err
			}
			if status == discovery.CollectionStarted {
				t.Warnings = append(t.Warnings, discovery.BatchDeleteStillCollecting(cid, agentID))
			}
		}
		d, err := deletion(ctx, tx, cid, agentID, end)
		if err != nil {
			return err
		}
		if err := tx.Delete(ctx, d); err != nil {
			return err
		}
		t.Deleted = append(t.Deleted, cid)
	}
	t.Status, t.End = discovery.BatchDeleteCompleted, end
	return tx.FinishBatchDeleteTask(ctx, t)
}

// serverAgent returns the agent of the account's server cid ("" for
// none), or discovery.ErrNotFound when cid names no server of the account.
func serverAgent(ctx context.Context, tx discovery.BatchDeleteTx, cid string) (string, error) {
	if typ, _ := discovery.TypeOf(cid); typ != discovery.TypeServer {
		return "", discovery.ErrNotFound
	}
	return tx.ServerAgent(ctx, cid)
}

// deletion is what deleting a server takes with it: its network
// interfaces, its processes, the connections either of whose ends is the
// server or one of its processes, the tags of all of them, its application
// memberships (the applications' modification time becomes now) and, if
// an agent reports it, the agent's time series. The agent itself stays.
func deletion(ctx context.Context, tx discovery.BatchDeleteTx, serverID, agentID string, now time.Time) (*discovery.Deletion, error) {
	server := []string{serverID}
	procs, err := tx.ServerProcesses(ctx, serverID)
	if err != nil {
		return nil, err
	}
	conns, err := tx.ConnectionsTouching(ctx, server, procs)
	if err != nil {
		return nil, err
	}
	apps, err := tx.ServerApplications(ctx, serverID)
	if err != nil {
		return nil, err
	}
	d := &discovery.Deletion{
		Servers: server, Processes: procs, Connections: conns,
		InterfacesOf: server, MembershipsOf: server,
		TagsOf: append(append(append([]string{}, server...), procs...), conns...),
		Touch:  apps, TouchedMS: now.UnixMilli(),
	}
	if agentID != "" {
		d.SeriesOf = []string{agentID}
	}
	return d, nil
}
