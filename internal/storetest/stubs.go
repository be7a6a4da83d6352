package storetest

var (
	rowTests        []test
	importTests     []test
	restartTests    []restartTest
)
