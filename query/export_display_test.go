package query

// StreamNumbers exposes streamNumbers to the external tests.
var StreamNumbers = streamNumbers
