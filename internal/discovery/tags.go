package discovery

import "time"

// Tag is a key/value pair on a configuration item.
type Tag struct {
	Key   string
	Value string
}

// ConfigurationTag is a tag on one configuration item.
type ConfigurationTag struct {
	Type            ItemType
	ConfigurationID string
	Key             string
	Value           string
	Created         time.Time
}

// TagCursor is the keyset position of DescribeTags: the last row returned,
// in (configuration ID, key, value) order.
type TagCursor struct {
	ID    string `json:"i"`
	Key   string `json:"k"`
	Value string `json:"v"`
}

// TagQuery selects tags of one account. Each list of the Keys, Values and
// IDs slices is one filter: its values are OR-ed, the filters AND-ed.
type TagQuery struct {
	Account string
	Keys    [][]string
	Values  [][]string
	IDs     [][]string
	After   *TagCursor
	Limit   int
}
