package pcapng

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/pcapdex/pcapdex/internal/mmap"
)

// Options tune Open and NewReader. The zero value is the default.
type Options struct {
	// NoMmap forces the plain-read path even for a regular uncompressed file.
	NoMmap bool
	// Name is the file name used in errors for NewReader (Open uses the path).
	Name string
	// BufferSize is the initial plain-read buffer (default 1 MiB); it grows for blocks
	// larger than the buffer.
	BufferSize int
	// MaxWindow is the largest history window a compressed capture may ask its decoder
	// for, in bytes (0: DefaultMaxWindow). zstd frames declare theirs (up to 3.75 TB, 512
	// MiB with zstd --long=29): memory the header claims, not the data needs. gzip (32 KiB)
	// and lz4 (4 MiB blocks) have fixed windows below any limit.
	MaxWindow int64
}

// DefaultMaxWindow is the default Options.MaxWindow: 128 MiB (zstd -19 uses 8 MiB,
// --long the default 128 MiB).
const DefaultMaxWindow = 128 << 20

// Compression is the compression around a capture, detected by magic bytes.
type Compression uint8

const (
	CompressionNone Compression = iota
	CompressionGzip
	CompressionZstd
	CompressionLZ4
	CompressionBzip2
	// CompressionXZ is recognised to be refused by name: no xz reader is kept well enough
	// to trust with hostile input (see Open).
	CompressionXZ
)

func (c Compression) String() string {
	switch c {
	case CompressionGzip:
		return "gzip"
	case CompressionZstd:
		return "zstd"
	case CompressionLZ4:
		return "lz4"
	case CompressionBzip2:
		return "bzip2"
	case CompressionXZ:
		return "xz"
	}
	return "none"
}

func sniffCompression(b []byte) Compression {
	switch {
	case len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return CompressionGzip
	case len(b) >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd:
		return CompressionZstd
	case len(b) >= 4 && b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4d && b[3] == 0x18:
		return CompressionLZ4
	case len(b) >= 4 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9':
		return CompressionBzip2
	case len(b) >= 4 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X':
		return CompressionXZ
	}
	return CompressionNone
}

// Open opens a capture file for reading: classic pcap or pcapng, optionally compressed with
// gzip, zstd, lz4 or bzip2 (detected by magic bytes, not by the extension; xz is named and
// refused). path "-" reads stdin.
// A regular uncompressed file is memory-mapped unless opts.NoMmap is set; everything else
// goes through the plain-read path. Open reads the file header (pcap header or first SHB)
// and returns a *FormatError if it is not a capture.
func Open(path string, opts Options) (*Reader, error) {
	if path == "-" {
		opts.Name = "-"
		return NewReader(os.Stdin, opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pcapng: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pcapng: %w", err)
	}
	opts.Name = path
	if !opts.NoMmap && mmap.Supported && st.Mode().IsRegular() && st.Size() > 0 {
		var magic [4]byte
		n, _ := f.ReadAt(magic[:], 0)
		if sniffCompression(magic[:n]) == CompressionNone {
			m, err := mmap.Map(f, st.Size())
			if err == nil {
				mmap.AdviseSequential(m)
				r := &Reader{name: path, file: f, mapped: m, buf: m, end: len(m), size: st.Size()}
				if err := r.init(); err != nil {
					r.Close()
					return nil, err
				}
				r.startPrefault()
				return r, nil
			}
			// Fall through to plain reads when the file cannot be mapped (or this platform
			// maps nothing).
		}
	}
	r, err := newStreamReader(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	if st.Mode().IsRegular() && r.compression == CompressionNone {
		r.size = st.Size()
	}
	return r, nil
}

// NewReader reads a capture from src through the plain-read path (decompressing gzip, zstd
// or lz4 if the magic bytes say so). Packet data returned by Next lives in a buffer the
// reader reuses: valid until the next call to Next. Close does not close src.
func NewReader(src io.Reader, opts Options) (*Reader, error) {
	if opts.Name == "" {
		opts.Name = "-"
	}
	return newStreamReader(src, opts)
}

func newStreamReader(src io.Reader, opts Options) (*Reader, error) {
	size := opts.BufferSize
	if size <= 0 {
		size = streamBufSize
	}
	r := &Reader{name: opts.Name, src: src, buf: make([]byte, max(size, 64)), size: -1}
	head, _ := r.peek(4)
	if head == nil {
		head = r.buf[:r.end]
	}
	if c := sniffCompression(head); c != CompressionNone {
		rest := io.MultiReader(bytes.NewReader(append([]byte(nil), r.buf[:r.end]...)), src)
		var dec io.Reader
		switch c {
		case CompressionGzip:
			zr, err := gzip.NewReader(rest)
			if err != nil {
				fe := r.formatErr(0, "gzip header", "%v", err)
				fe.Err = err
				return nil, fe
			}
			dec, r.closer = zr, zr
		case CompressionZstd:
			limit := opts.MaxWindow
			if limit <= 0 {
				limit = DefaultMaxWindow
			}
			zr, err := zstd.NewReader(rest, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(uint64(max(limit, zstd.MinWindowSize))))
			if err != nil {
				fe := r.formatErr(0, "zstd header", "%v", err)
				fe.Err = err
				return nil, fe
			}
			dec, r.closer = windowErr{zr, limit}, zstdCloser{zr}
		case CompressionLZ4:
			dec = lz4.NewReader(rest)
		case CompressionBzip2:
			dec = bzip2.NewReader(rest) // the standard library's; a fixed 900 KB block at most
		case CompressionXZ:
			return nil, r.formatErr(0, "file header", "xz-compressed capture: not supported (xz -d it first, or recompress with zstd, gzip, lz4 or bzip2)")
		}
		r.compression = c
		r.src, r.srcErr = dec, nil
		r.pos, r.end, r.base = 0, 0, 0
	}
	if err := r.init(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// windowErr turns the zstd decoder's window error into one that says the sizes and how to
// raise the limit.
type windowErr struct {
	d     *zstd.Decoder
	limit int64
}

func (w windowErr) Read(p []byte) (int, error) {
	n, err := w.d.Read(p)
	if err != nil && (errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded)) {
		err = fmt.Errorf("zstd frame asks for a history window above the limit of %d MiB (%w; raise it with --max-window, e.g. --max-window 1GiB)", w.limit>>20, ErrWindowTooLarge)
	}
	return n, err
}

type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Close() error { z.d.Close(); return nil }

// NewBytesReader reads a capture held in memory (uncompressed) through the same code as the
// mapped path: packets are views into b, valid as long as b is. name is used in errors.
func NewBytesReader(name string, b []byte) (*Reader, error) {
	return newMemReader(name, b)
}

func newMemReader(name string, b []byte) (*Reader, error) {
	r := &Reader{name: name, buf: b, end: len(b), size: int64(len(b))}
	if err := r.init(); err != nil {
		return nil, err
	}
	return r, nil
}
