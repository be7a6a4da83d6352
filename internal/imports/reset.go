package imports

import (
	"errors"
	"os"
	"path/filepath"
)

// RemoveAccount deletes the files kept for account: its errors zips and,
// with PerAccount, its buckets (open-mode buckets are shared, not the
// account's).
func (s *Service) RemoveAccount(account string) error {
	if !accountID.MatchString(account) {
		return errors.New("imports: remove account files: not an account ID")
	}
	err := os.RemoveAll(filepath.Join(s.Data, "imports", account))
	if s.PerAccount {
		err = errors.Join(err, os.RemoveAll(filepath.Join(s.Data, "buckets", account)))
	}
	return err
}

// RemoveAll deletes the files kept for every account: errors zips and,
// with PerAccount, the accounts' buckets. Open-mode buckets are the
// operator's shared folder, not any account's, and stay.
func (s *Service) RemoveAll() error {
	err := os.RemoveAll(filepath.Join(s.Data, "imports"))
	if s.PerAccount {
		err = errors.Join(err, removeContents(filepath.Join(s.Data, "buckets")))
	}
	return err
}

// removeContents empties dir, keeping dir itself (the operator may have
// made it a link to another volume); a missing dir is empty.
func removeContents(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}
