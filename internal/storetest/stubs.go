package storetest

var (
	rowTests         []test
	applicationTests []test
	batchDeleteTests []test
	continuousTests  []test
	importTests      []test
	restartTests     []restartTest
)
