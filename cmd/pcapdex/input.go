package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pcapdex/pcapdex/pcapng"
	"github.com/spf13/pflag"
)

// Inputs: every command that reads captures takes paths ("-" for stdin), detects pcap/pcapng
// and gzip/zstd/lz4 by magic bytes, and honours --no-mmap. Register the flag with
// addInputFlags and open each capture with openCapture.

// inputFlags are the flags shared by commands that read captures.
type inputFlags struct {
	noMmap    bool
	maxWindow sizeFlag
}

// addInputFlags registers --no-mmap and --max-window on fs.
func addInputFlags(fs *pflag.FlagSet, f *inputFlags) {
	fs.BoolVar(&f.noMmap, "no-mmap", false, "read files with plain reads instead of memory-mapping them")
	f.maxWindow = pcapng.DefaultMaxWindow
	fs.Var(&f.maxWindow, "max-window", "largest decompression window a zstd capture may ask for (memory the file's header claims): bytes, or with KiB, MiB, GiB")
}

// sizeFlag is a byte count given as 1048576, 1MiB, 512KiB or 2GiB (also KB, MB, GB as
// powers of 1000).
type sizeFlag int64

func (s *sizeFlag) String() string { return strconv.FormatInt(int64(*s), 10) }
func (s *sizeFlag) Type() string   { return "size" }
func (s *sizeFlag) Set(v string) error {
	t := strings.TrimSpace(v)
	mul := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}} {
		if strings.HasSuffix(t, u.suf) {
			t, mul = strings.TrimSpace(strings.TrimSuffix(t, u.suf)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mul {
		return fmt.Errorf("%q: want a positive size such as 512MiB or 2GiB", v)
	}
	*s = sizeFlag(n * mul)
	return nil
}

// openCapture opens a capture file ("-" reads stdin). Errors are *pcapng.FormatError for
// files that are not captures, or wrap the os error for files that cannot be opened; either
// way the caller reports it and exits with exitInput.
func openCapture(path string, noMmap bool) (*pcapng.Reader, error) {
	return pcapng.Open(path, pcapng.Options{NoMmap: noMmap})
}
