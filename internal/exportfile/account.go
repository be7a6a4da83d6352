package exportfile

import (
	"os"
	"path/filepath"
)

// RemoveAccount deletes every export file of account.
func (d Dir) RemoveAccount(account string) error {
	if !accountPattern.MatchString(account) {
		return ErrBadName
	}
	return os.RemoveAll(filepath.Join(d.Root, account))
}
