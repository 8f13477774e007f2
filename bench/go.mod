module github.com/pcapdex/pcapdex/bench

go 1.26.0

require (
	github.com/gopacket/gopacket v1.7.7
	github.com/pcapdex/pcapdex v0.0.0
	github.com/spf13/pflag v1.0.10
	golang.org/x/sys v0.49.0
)

require (
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	golang.org/x/net v0.55.0 // indirect
)

replace github.com/pcapdex/pcapdex => ../
