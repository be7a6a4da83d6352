package storetest

var (
	rowTests         []test
	batchDeleteTests []test
	continuousTests  []test
	importTests      []test
	restartTests     []restartTest
)
