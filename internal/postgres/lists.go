package postgres

// Several filters on one column must all hold (ADS filters are AND-ed, the
// values of one filter OR-ed). A query gets one array parameter per column,
// `col = ANY($n)`, whatever the number of filters: their value sets are
// intersected here first.

// intersect returns the values in every one of sets, in the order of the
// first set, each once; ok false when no set is given (no condition).
func intersect(sets [][]string) (vals []string, ok bool) {
	if len(sets) == 0 {
		return nil, false
	}
	others := make([]map[string]bool, len(sets)-1)
	for i, set := range sets[1:] {
		others[i] = make(map[string]bool, len(set))
		for _, v := range set {
			others[i][v] = true
		}
	}
	vals = []string{}
	seen := make(map[string]bool, len(sets[0]))
next:
	for _, v := range sets[0] {
		if seen[v] {
			continue
		}
		seen[v] = true
		for _, in := range others {
			if !in[v] {
				continue next
			}
		}
		vals = append(vals, v)
	}
	return vals, true
}

// nonNil returns vs, or an empty slice for nil: pgx sends a nil slice as
// NULL, and `x <> ALL(NULL)` holds for no row where an empty list holds for
// every row.
func nonNil(vs []string) []string {
	if vs == nil {
		return []string{}
	}
	return vs
}
