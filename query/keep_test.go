package query

// StreamKeepFor maps a query command's name to what it reads, for the tests that run every
// command over stores keeping only that (the CLI keeps the same map in cmd/pcapdex).
func StreamKeepFor(command string) StreamKeep {
	switch command {
	case "flows", "top":
		return KeepFlows
	case "events", "concurrent":
		return KeepEvents
	case "timeline", "gaps", "sizes":
		return KeepPacketTimes
	case "packets":
		return KeepPackets
	}
	return StreamKeepAll
}
