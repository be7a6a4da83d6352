package discovery

// The typed query of a configuration item list. The inventory use case
// resolves the ADS filter and sort names of ListConfigurations to Fields,
// validates and merges the filters and decides how their values combine; a
// store only translates the resulting predicates into its own dialect.

// Field is an attribute of a configuration item that a query filters or
// sorts on. Each field belongs to one item type; a field named after a
// related item (the server of a process, the source server of a connection)
// reads that item's attribute, "" when the related item is not in the
// inventory.
type Field int

// The fields of the four item types. A Multi field (see Predicate) is marked
// "(list)".
const (
	_ Field = iota

	// SERVER.
	FieldServerID
	FieldServerHostName
	FieldServerOSName
	FieldServerOSVersion
	FieldServerAgentID
	FieldServerConnectorID // the connector of the server's agent
	FieldServerType
	FieldServerVMMoRefID
	FieldServerVCenterID
	FieldServerVMHostID
	FieldServerPortGroupID       // not collected: always ""
	FieldServerPortGroupName     // not collected: always ""
	FieldServerVirtualSwitchName // not collected: always ""
	FieldServerNICIPAddress      // (list) the addresses of its interfaces
	FieldServerNICMACAddress     // (list)
	FieldServerAvgCPUPct         // number; no value without samples
	FieldServerDiskFreeKB        // number; no value without samples
	FieldServerAvgFreeRAMKB      // number; no value without samples
	FieldServerTagValue          // (list)
	FieldServerTagKey            // (list)
	FieldServerApplicationName   // (list) the applications it belongs to
	FieldServerApplicationDescription
	FieldServerApplicationID
	FieldServerProcessID // (list) its processes
	FieldServerProcessName
	FieldServerProcessCommandLine

	// PROCESS.
	FieldProcessID
	FieldProcessName
	FieldProcessCommandLine
	FieldProcessServerID
	FieldProcessServerHostName
	FieldProcessServerOSName
	FieldProcessServerOSVersion
	FieldProcessAgentID

	// CONNECTION.
	FieldConnectionSourceIP
	FieldConnectionDestinationIP
	FieldConnectionDestinationPort // integer
	FieldConnectionSourceServerID
	FieldConnectionSourceServerHostName
	FieldConnectionSourceServerOSName
	FieldConnectionSourceServerOSVersion
	FieldConnectionSourceServerAgentID
	FieldConnectionDestinationServerID
	FieldConnectionDestinationServerHostName
	FieldConnectionDestinationServerOSName
	FieldConnectionDestinationServerOSVersion
	FieldConnectionDestinationServerAgentID
	FieldConnectionSourceProcessID
	FieldConnectionSourceProcessName
	FieldConnectionSourceProcessCommandLine
	FieldConnectionDestinationProcessID
	FieldConnectionDestinationProcessName
	FieldConnectionDestinationProcessCommandLine

	// APPLICATION.
	FieldApplicationID
	FieldApplicationName
	FieldApplicationDescription
	FieldApplicationServerCount // integer
	FieldApplicationCreated     // integer: Unix milliseconds
	FieldApplicationUpdated     // integer: Unix milliseconds
	FieldApplicationServerID    // (list) its servers

	fieldEnd
)

// Type returns the item type f belongs to ("" for no field).
func (f Field) Type() ItemType {
	switch {
	case f >= FieldServerID && f < FieldProcessID:
		return TypeServer
	case f >= FieldProcessID && f < FieldConnectionSourceIP:
		return TypeProcess
	case f >= FieldConnectionSourceIP && f < FieldApplicationID:
		return TypeConnection
	case f >= FieldApplicationID && f < fieldEnd:
		return TypeApplication
	}
	return ""
}

// FieldsOf lists the fields of item type t.
func FieldsOf(t ItemType) []Field {
	var out []Field
	for f := FieldServerID; f < fieldEnd; f++ {
		if f.Type() == t {
			out = append(out, f)
		}
	}
	return out
}

// Match is how one value of a field is compared with one value of a
// predicate.
type Match int

// The matches.
const (
	_             Match = iota
	MatchEqual          // the field's value equals the predicate's value
	MatchContains       // the field's value contains the predicate's value
	MatchAtLeast        // field >= value (numbers)
	MatchAtMost         // field <= value
	MatchAbove          // field > value
	MatchBelow          // field < value
)

// Quantifier says whether a predicate asks for a matching value or for none.
type Quantifier int

// The quantifiers.
const (
	_ Quantifier = iota
	// AnyMatch holds when one of the item's values of the field matches one
	// of the predicate's values.
	AnyMatch
	// NoMatch holds when none of the item's values of the field matches any
	// of the predicate's values.
	NoMatch
)

// Predicate is one typed test of a query. An item has one value of a scalar
// field, none or several of a Multi field (its interfaces, tags,
// applications or processes: a server without tags has no tag value), and
// none of a field without data (the performance averages of a server
// without samples). The predicate holds per its quantifier: some item value
// matches some predicate value (AnyMatch), or none does (NoMatch). With no
// predicate values, AnyMatch never holds and NoMatch always does.
type Predicate struct {
	Field Field
	// Multi says the field is a list per item. A store checks that it
	// agrees.
	Multi bool
	Match Match
	Quant Quantifier
	// Fold compares text ignoring the case of ASCII letters (only).
	Fold bool
	// The predicate's values, in one of three kinds: Nums (compared as
	// numbers) when not nil, else Ints when not nil, else Text.
	Text []string
	Ints []int64
	Nums []float64
}

// GroupPredicates groups predicates that differ only in their values (same
// field, match, quantifier and folding), groups in the order they first
// appear: all of a group must hold, so a store may test a group as one term
// over all its values, keeping its SQL bounded however many predicates a
// query holds.
func GroupPredicates(ps []Predicate) [][]Predicate {
	type key struct {
		field Field
		multi bool
		m     Match
		q     Quantifier
		fold  bool
	}
	index := map[key]int{}
	var out [][]Predicate
	for _, p := range ps {
		k := key{p.Field, p.Multi, p.Match, p.Quant, p.Fold}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], p)
	}
	return out
}

// OrderKey is one sort key.
type OrderKey struct {
	Field Field
	Desc  bool
}

// Intersect returns the values in every one of sets, in the order of the
// first set, each once; ok is false when no set is given (no condition).
// Filters whose values are OR-ed and that must all hold on one scalar
// attribute merge so: an item's one value must be in every set.
func Intersect[T comparable](sets [][]T) (vals []T, ok bool) {
	if len(sets) == 0 {
		return nil, false
	}
	in := map[T]int{}
	for i, set := range sets {
		for _, v := range set {
			if in[v] == i {
				in[v] = i + 1
			}
		}
	}
	vals = []T{}
	for _, v := range sets[0] {
		if in[v] == len(sets) {
			vals = append(vals, v)
			in[v] = -1
		}
	}
	return vals, true
}
