package index

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors about a particular file are *CorruptError or *VersionError; the
// sentinels below are what the encodings return (wrapped by the file layer with the file,
// section and offset) and what callers match with errors.Is.
var (
	// ErrCorrupt matches every *CorruptError (errors.Is(err, ErrCorrupt)).
	ErrCorrupt = errors.New("index: corrupt")
	// ErrVersion matches every *VersionError: the file is an index of another format version
	// and should be rebuilt.
	ErrVersion = errors.New("index: unsupported format version")
	// ErrNotFound is returned when a named section, table or postings list is absent.
	ErrNotFound = errors.New("index: not found")
	// ErrClosed is returned by a Reader or Writer used after Close.
	ErrClosed = errors.New("index: closed")

	errShort    = errors.New("unexpected end of data")
	errOverflow = errors.New("varint overflows 64 bits")
	errMode     = errors.New("unknown column encoding mode")
	errTooMany  = errors.New("count exceeds limit")
	errRange    = errors.New("value out of range")
)

// CorruptError reports bytes of an index file that fail a check: a checksum, a magic number,
// a length that runs past its container, or an encoding that does not decode. Offset is the
// absolute byte offset in the file of the thing that failed (the section start when the
// failure is not located more precisely). Section is empty for the header, footer and
// directory.
type CorruptError struct {
	File    string
	Section string
	Offset  int64
	Msg     string
	Err     error // underlying cause, if any
}

func (e *CorruptError) Error() string {
	s := "index: file " + e.File + ": "
	if e.Section != "" {
		s += fmt.Sprintf("section %q at offset %#x: ", e.Section, e.Offset)
	} else {
		s += fmt.Sprintf("offset %#x: ", e.Offset)
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrCorrupt) true for every *CorruptError.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the underlying cause.
func (e *CorruptError) Unwrap() error { return e.Err }

// VersionError reports an index written in a format version this build does not read.
// The right response is to rebuild the index from its captures.
type VersionError struct {
	File string
	Got  uint32
	Want uint32
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("index: file %s: format version %d, this build reads version %d (rebuild the index)", e.File, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrVersion) true for every *VersionError.
func (e *VersionError) Is(target error) bool { return target == ErrVersion }
