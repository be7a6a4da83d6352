package exportfile

import (
	"context"
	"path/filepath"
)

// RemoveAccount deletes every export file of account.
func (d Dir) RemoveAccount(_ context.Context, account string) error {
	if !accountPattern.MatchString(account) {
		return ErrBadName
	}
	return removeAll(filepath.Join(d.Root, account))
}
