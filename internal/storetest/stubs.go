package storetest

var (
	rowTests         []test
	tagTests         []test
	applicationTests []test
	batchDeleteTests []test
	continuousTests  []test
	importTests      []test
	restartTests     []restartTest
)
