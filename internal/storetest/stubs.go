package storetest

var (
	rowTests        []test
	continuousTests []test
	importTests     []test
	restartTests    []restartTest
)
