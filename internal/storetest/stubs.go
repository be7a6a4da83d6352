package storetest

var (
	rowTests     []test
	restartTests []restartTest
)
