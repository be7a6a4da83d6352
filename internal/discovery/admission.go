package discovery

// Admit decides whether a store may create t under a, from what the store
// finds in the account's other tasks: duplicate returns the ID of a
// SUCCEEDED agent export of t's agent and requested window ("" if there is
// none), count the number of tasks a limit counts. The duplicate check
// comes first, then the limits in order; the first one reached refuses t.
// A store calls it inside the write that inserts t, so that what the
// callbacks read cannot change before the insert. It returns nil when t is
// admitted.
func (a ExportAdmission) Admit(t *ExportTask, duplicate func() (string, error), count func(ExportLimit) (int, error)) (*ExportRefusal, error) {
	if a.RefuseDuplicate && t.Kind == KindAgent {
		id, err := duplicate()
		if err != nil {
			return nil, err
		}
		if id != "" {
			return &ExportRefusal{DuplicateOf: id}, nil
		}
	}
	for i, l := range a.Limits {
		n, err := count(l)
		if err != nil {
			return nil, err
		}
		if n >= l.Max {
			return &ExportRefusal{Limit: i}, nil
		}
	}
	return nil, nil
}
