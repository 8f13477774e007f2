package main

import (
	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/spf13/pflag"
)

// Inputs: every command that reads captures takes paths ("-" for stdin), detects pcap/pcapng
// and gzip/zstd/lz4 by magic bytes, and honours --no-mmap. Register the flag with
// addInputFlags and open each capture with openCapture.

// inputFlags are the flags shared by commands that read captures.
type inputFlags struct {
	noMmap bool
}

// addInputFlags registers --no-mmap on fs.
func addInputFlags(fs *pflag.FlagSet, f *inputFlags) {
	fs.BoolVar(&f.noMmap, "no-mmap", false, "read files with plain reads instead of memory-mapping them")
}

// openCapture opens a capture file ("-" reads stdin). Errors are *pcapng.FormatError for
// files that are not captures, or wrap the os error for files that cannot be opened; either
// way the caller reports it and exits with exitInput.
func openCapture(path string, noMmap bool) (*pcapng.Reader, error) {
	return pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
}
