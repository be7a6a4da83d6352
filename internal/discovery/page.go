package discovery

// MaxPage is the largest page of the Integer-typed maxResults members, which
// have no modeled range (the API reference documents 100).
const MaxPage = 100

// PageSize applies DECISIONS.md's rule for those members: absent or 0 means
// MaxPage, larger values are capped at MaxPage, negative values are
// InvalidParameterValueException.
func PageSize(maxResults *int32) (int, error) {
	if maxResults == nil {
		return MaxPage, nil
	}
	switch m := int(*maxResults); {
	case m < 0:
		return 0, Errorf(InvalidParameterValue,
			"1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0", m)
	case m > 0 && m < MaxPage:
		return m, nil
	}
	return MaxPage, nil
}
