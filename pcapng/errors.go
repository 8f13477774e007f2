package pcapng

import (
	"errors"
	"fmt"
)

// FormatError reports a capture whose bytes break the pcap or pcapng format: a length that
// runs past its block, an unknown magic, an unsupported version. Offset is the byte offset of
// the record or block at fault in the (decompressed) stream. Err, when set, is the sentinel or
// cause behind it (ErrNotCapture for a file that is not a capture): errors.Is and errors.As
// see it through Unwrap, and Msg already says it in words.
type FormatError struct {
	File   string // file name as given to Open ("-" for stdin)
	Offset int64  // byte offset of the record or block at fault
	Block  string // "pcap header", "record", "SHB", "IDB", "EPB", ...
	Msg    string // what was wrong
	Err    error  // wrapped sentinel or cause, if any
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("pcapng: file %s: block at offset %#x (%s): %s", e.File, e.Offset, e.Block, e.Msg)
}

// Unwrap returns the wrapped sentinel or cause (nil if none).
func (e *FormatError) Unwrap() error { return e.Err }

// Sentinel errors.
var (
	// ErrNotCapture is wrapped by the FormatError for a file whose first bytes are neither a
	// pcap nor a pcapng magic (after decompression), or that is too short to hold either:
	// errors.Is(err, ErrNotCapture) holds for the error Open returns then.
	ErrNotCapture = errors.New("not a pcap or pcapng capture")
	// ErrWindowTooLarge is wrapped by the error for a compressed capture whose decoder would
	// need a history window above Options.MaxWindow.
	ErrWindowTooLarge = errors.New("compression window above the limit")
	// ErrClosed is returned by calls on a closed Reader.
	ErrClosed = errors.New("pcapng: reader closed")
	// ErrNotSeekable is returned by ReadPacketAt on a stream (pipe, stdin or compressed input)
	// for an offset before the reader's current position.
	ErrNotSeekable = errors.New("pcapng: offset behind the stream position (input is not seekable)")
)

func (r *Reader) formatErr(off int64, block, format string, args ...any) *FormatError {
	return &FormatError{File: r.name, Offset: off, Block: block, Msg: fmt.Sprintf(format, args...)}
}
