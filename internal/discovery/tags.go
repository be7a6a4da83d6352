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

// TagQuery selects tags of one account in (configuration ID, key, value)
// order. Keys, Values and IDs, when not nil, keep the tags whose key, value
// or configuration ID is one of theirs (none when empty).
type TagQuery struct {
	Account string
	Keys    []string
	Values  []string
	IDs     []string
	After   *TagCursor
	Limit   int // 0: no limit
}
