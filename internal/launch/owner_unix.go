//go:build unix

package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// maxOwnerSlots bounds the processes that may share one data directory with
// a slot each; more run without one.
const maxOwnerSlots = 64

// ownerSlot takes the first free owner slot of the data directory: an
// exclusive lock on data/poseidon.db-slot-N.lock (beside the store whose
// job leases it is about), held until release (or until the process ends,
// however it ends). It returns the slot's owner prefix,
// "slot-N/". Jobs leased by owners of that prefix belong to a process that
// held the slot before and is dead (the lock was free), so that the job
// runner takes them over at once (queue.Runner.Succeeds). With no slot free
// it returns "" and the runner waits for leases to pass, as for any other
// dead owner.
func ownerSlot(data string) (prefix string, release func(), err error) {
	for n := range maxOwnerSlots {
		f, err := os.OpenFile(filepath.Join(data, fmt.Sprintf("poseidon.db-slot-%d.lock", n)), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return "", nil, fmt.Errorf("owner slots: %w", err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return fmt.Sprintf("slot-%d/", n), func() { f.Close() }, nil
		}
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return "", nil, fmt.Errorf("owner slots: lock: %w", err)
		}
	}
	return "", func() {}, nil
}
