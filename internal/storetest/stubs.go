package storetest

var (
	restartTests []restartTest
)
