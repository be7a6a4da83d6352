package sqlite

// Long lists in queries. SQLite allows at most 32,766 bound parameters and
// an expression depth of 1,000, and a request under the body limit can carry
// more values or filters than that. So a list travels as one JSON array
// parameter read by json_each (jsonArray), and several sets of values that
// must all hold for one column are first intersected here: the query gets
// one term per column, whatever the number of filters.

// intersect returns the values in every one of sets, in the order of the
// first set, each once; ok false when no set is given (no condition).
func intersect(sets [][]string) (vals []string, ok bool) {
	if len(sets) == 0 {
		return nil, false
	}
	in := map[string]int{}
	for i, set := range sets {
		for _, v := range set {
			if in[v] == i {
				in[v] = i + 1
			}
		}
	}
	vals = []string{}
	for _, v := range sets[0] {
		if in[v] == len(sets) {
			vals = append(vals, v)
			in[v] = -1
		}
	}
	return vals, true
}
