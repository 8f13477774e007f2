package query

// Test helpers of the package, for its external tests (which render rows through the
// output package, which imports query).
var (
	OpenBoth       = openBoth
	CorpusCaptures = corpusCaptures
	CorpusDir      = corpusDir
	FirstDiff      = firstDiff
	BigIndex       = bigIndex
)
