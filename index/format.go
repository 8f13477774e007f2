package index

import (
	"fmt"
)

// Durable format constants. Changing any of them, or any layout in doc.go, requires a new
// FormatVersion.
const (
	// FormatVersion is the version of the file format this package writes and reads.
	// 2: the flow table's rtt_min/rtt_avg/rtt_max columns hold the ACK-of-the-newest-segment
	// samples of flowhash 2026-11 (version 1 files hold the older one-timed-segment samples,
	// and sections whose layouts changed without a version of their own); postings sections
	// end with a CRC32C per 4 KiB page, so a lookup verifies only the pages it reads.
	// 3: int64 columns keep their common factor when values go backwards (mode 11, zigzag
	// deltas / g: microsecond timestamps stored in ns no longer pay x1000 once time steps
	// back); uint32 columns of block-local slot numbers ("kslot") may be stored as
	// move-to-front ranks (mode 12, see enc_rank.go); a postings key of one row stores
	// that row (4 bytes) instead of a bitmap (16 bytes or more). Also new since 2: the
	// capture-sums section (a SHA-256 of each whole capture, computed in the build's pass).
	FormatVersion uint32 = 3

	headerMagic  = "\x89PDX\r\n\x1a\n" // first 8 bytes of the file
	footerMagic  = "pcapdex\x00"       // last 8 bytes of the file
	headerSize   = 16                  // magic, version u32, flags u32
	footerSize   = 32                  // dirOff u64, dirLen u32, dirCRC u32, version u32, flags u32, magic
	sectionAlign = 8                   // sections start at multiples of 8
	maxNameLen   = 255                 // bytes of a section name
	maxSections  = 1 << 16             // sections of one file
	maxDirLen    = 16 << 20            // bytes of the directory
)

// SectionType says what a section holds (durable).
type SectionType uint8

const (
	SectionBlob      SectionType = 1 // opaque bytes (meta, info objects, ...)
	SectionCaptures  SectionType = 2 // capture fingerprints (see Fingerprint)
	SectionTableData SectionType = 3 // column chunks of a table
	SectionTableMeta SectionType = 4 // schema and block index of a table
	SectionPostings  SectionType = 5 // sorted keys -> roaring bitmaps
)

func (t SectionType) String() string {
	switch t {
	case SectionBlob:
		return "blob"
	case SectionCaptures:
		return "captures"
	case SectionTableData:
		return "table-data"
	case SectionTableMeta:
		return "table-meta"
	case SectionPostings:
		return "postings"
	}
	return fmt.Sprintf("type-%d", uint8(t))
}

// SectionInfo is one entry of the section directory.
type SectionInfo struct {
	Type      SectionType
	Name      string
	Offset    int64  // absolute offset of the stored bytes in the file
	Length    int64  // stored bytes
	RawLength int64  // bytes after decompression (== Length for CodecNone)
	Codec     uint8  // CodecNone or CodecZstd (the whole section as one frame)
	CRC       uint32 // CRC32C of the stored bytes
}

// appendDirectory encodes the directory: uvarint count, then per section uvarint type,
// length-prefixed name, uvarint offset, length, raw length, codec byte, CRC32C u32 LE.
func appendDirectory(dst []byte, dir []SectionInfo) []byte {
	dst = AppendUvarint(dst, uint64(len(dir)))
	for _, s := range dir {
		dst = AppendUvarint(dst, uint64(s.Type))
		dst = AppendBytes(dst, []byte(s.Name))
		dst = AppendUvarint(dst, uint64(s.Offset))
		dst = AppendUvarint(dst, uint64(s.Length))
		dst = AppendUvarint(dst, uint64(s.RawLength))
		dst = append(dst, s.Codec)
		dst = AppendUint32(dst, s.CRC)
	}
	return dst
}

// parseDirectory decodes and checks a directory: sections lie between the header and
// dirOff, in increasing order without overlap, with unique names and sane lengths.
func parseDirectory(src []byte, dirOff int64) ([]SectionInfo, map[string]int, error) {
	src, n, err := UnmarshalUvarint(src)
	if err != nil {
		return nil, nil, fmt.Errorf("section count: %w", err)
	}
	const minEntry = 1 + 2 + 1 + 1 + 1 + 1 + 4
	if n > maxSections || n > uint64(len(src)/minEntry) {
		return nil, nil, fmt.Errorf("section count %d too large for a directory of %d bytes", n, len(src))
	}
	dir := make([]SectionInfo, 0, n)
	byName := make(map[string]int, n)
	prevEnd := int64(headerSize)
	for i := range int(n) {
		var typ, off, length, raw uint64
		var name []byte
		if src, typ, err = UnmarshalUvarint(src); err != nil {
			return nil, nil, fmt.Errorf("entry %d: type: %w", i, err)
		}
		if src, name, err = UnmarshalBytes(src); err != nil {
			return nil, nil, fmt.Errorf("entry %d: name: %w", i, err)
		}
		if src, off, err = UnmarshalUvarint(src); err != nil {
			return nil, nil, fmt.Errorf("entry %d: offset: %w", i, err)
		}
		if src, length, err = UnmarshalUvarint(src); err != nil {
			return nil, nil, fmt.Errorf("entry %d: length: %w", i, err)
		}
		if src, raw, err = UnmarshalUvarint(src); err != nil {
			return nil, nil, fmt.Errorf("entry %d: raw length: %w", i, err)
		}
		if len(src) < 5 {
			return nil, nil, fmt.Errorf("entry %d: %w", i, errShort)
		}
		codec := src[0]
		var crc uint32
		src, crc, _ = UnmarshalUint32(src[1:])
		if typ == 0 || typ > 255 {
			return nil, nil, fmt.Errorf("entry %d: section type %d", i, typ)
		}
		if len(name) == 0 || len(name) > maxNameLen {
			return nil, nil, fmt.Errorf("entry %d: name length %d", i, len(name))
		}
		if off < uint64(prevEnd) || off > uint64(dirOff) || length > uint64(dirOff)-off {
			return nil, nil, fmt.Errorf("section %q: offset %#x length %d outside [%#x, %#x)", name, off, length, prevEnd, dirOff)
		}
		switch codec {
		case CodecNone:
			if raw != length {
				return nil, nil, fmt.Errorf("section %q: raw length %d != stored length %d", name, raw, length)
			}
		case CodecZstd:
			if raw > MaxRawUnit {
				return nil, nil, fmt.Errorf("section %q: raw length %d exceeds %d", name, raw, MaxRawUnit)
			}
		default:
			return nil, nil, fmt.Errorf("section %q: unknown codec %d", name, codec)
		}
		s := SectionInfo{Type: SectionType(typ), Name: string(name), Offset: int64(off), Length: int64(length), RawLength: int64(raw), Codec: codec, CRC: crc}
		if _, dup := byName[s.Name]; dup {
			return nil, nil, fmt.Errorf("section %q appears twice", s.Name)
		}
		byName[s.Name] = len(dir)
		dir = append(dir, s)
		prevEnd = s.Offset + s.Length
	}
	if len(src) != 0 {
		return nil, nil, fmt.Errorf("%d trailing bytes after %d entries", len(src), n)
	}
	return dir, byName, nil
}
