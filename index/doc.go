// Package index writes and reads pcapdex index files: one file per capture (or capture set)
// holding everything later queries need, so that a query over a multi-GB capture reads a
// few small sections instead of the capture.
//
// # File layout
//
// An index file is a header, a run of sections, a section directory and a fixed-size footer,
// in the manner of a pebble sstable. All integers are little endian. Everything marked
// (durable) below is part of format version FormatVersion: changing it needs a new version,
// and readers of another version fail with *VersionError (so the CLI can rebuild).
//
//	+------------------------------------------------------------+  offset 0
//	| header (16 bytes)                                          |
//	|   magic  "\x89PDX\r\n\x1a\n"                  8 bytes      |  (durable)
//	|   format version                             u32          |
//	|   flags (reserved, zero)                     u32          |
//	+------------------------------------------------------------+  8-aligned
//	| section 0  (stored bytes; CRC32C in the directory)         |
//	| zero padding to a multiple of 8                            |
//	| section 1                                                  |
//	| ...                                                        |
//	+------------------------------------------------------------+  dirOff
//	| directory                                                  |
//	|   uvarint count                                            |
//	|   per section: uvarint type, uvarint name length, name,    |
//	|     uvarint offset, uvarint stored length,                 |
//	|     uvarint raw length, codec byte, CRC32C u32             |
//	+------------------------------------------------------------+  size-32
//	| footer (32 bytes)                                          |
//	|   directory offset                           u64          |
//	|   directory length                           u32          |
//	|   CRC32C of the directory                    u32          |
//	|   format version                             u32          |
//	|   flags (reserved, zero)                     u32          |
//	|   magic  "pcapdex\x00"                       8 bytes      |  (durable)
//	+------------------------------------------------------------+
//
// Open reads the header, the footer and the directory only (cost independent of the file
// size), and checks the directory's CRC32C (Castagnoli), that sections lie in increasing
// order between the header and the directory without overlap, and that every length is
// within the file. A section's bytes are read, and their CRC32C verified, the first time the
// section is touched, except through Postings, which verifies a postings section page by
// page as lookups read it (below). Verify checks every section's CRC32C, every finer
// checksum inside sections, and that the padding between sections is zero. Bad bytes
// anywhere give a *CorruptError naming the file, the section and the offset.
//
// A section's codec (durable: 0 none, 1 zstd) applies to the section as a whole; a zstd
// section is one frame whose raw length is in the directory and at most MaxRawUnit.
//
// # Section types (durable)
//
//	1 blob        opaque bytes, e.g. "meta" (build parameters) written by the builder
//	2 captures    "captures": per capture file its path, size, mtime (ns), SHA-256 of the
//	              first and last MiB, and its opaque info object (see CaptureFile, Stale)
//	1 blob        "capture-sums": the SHA-256 of each whole capture (see CaptureFile); an
//	              index without it is stale
//	3 table-data  "NAME": the column chunks of table NAME, block after block
//	4 table-meta  "NAME.meta": schema and block index of table NAME
//	5 postings    sorted keys -> roaring bitmaps (see below)
//
// # Tables
//
// A table is a set of named, typed columns (Kind, durable: 1 int64, 2 uint32, 3 uint16,
// 4 uint8, 5 bytes, 6 addr) whose rows are cut into blocks (nominally 64Ki rows, at most
// MaxBlockRows). Block b's column c is one chunk, a compressed unit:
//
//	codec byte 0 | encoded values
//	codec byte 1 | uvarint raw length | zstd frame of the encoded values
//
// The "NAME.meta" section (zstd-compressed) holds:
//
//	uvarint rows, uvarint nominal block rows, uvarint column count
//	per column: uvarint name length, name, kind byte
//	uvarint time column + 1 (0: none)
//	uvarint block count
//	per block: uvarint rows; [zigzag varint min, max of the time column];
//	           per column: uvarint chunk offset in "NAME", uvarint chunk length, CRC32C u32
//
// so a reader decodes only the chunks a query needs, skips blocks by time range, and
// verifies each chunk's CRC32C the first time it reads it. Column encodings (mode byte
// first, durable; see enc.go, enc_rank.go and enc_bytes.go): int64 as constant, delta of
// sorted values or zigzag deltas, either divided by the deltas' greatest common divisor
// when it exceeds 1 (timestamps of a microsecond capture stored in ns); unsigned integers
// as constant, fixed width 1-4 bytes, or uvarints; uint32 slot numbers (each new one the
// largest so far + 1, as "kslot") also as move-to-front ranks, when that is no larger;
// bytes and 16-byte addresses as a dictionary with fixed-width indexes or plain values.
//
// # Postings
//
// A postings section (always stored with codec 0) maps sorted keys to roaring bitmaps
// (portable serialization). Every integer is a fixed-width u32 so Find is a binary search
// over the mapped section. The section is a body, then the checksums of its pages:
//
//	body:
//	  u32 n, u32 key width (0: variable)
//	  [variable width] (n+1) x u32 key offsets
//	  key area, keys strictly increasing by bytes.Compare
//	  pad to 8, (n+1) x u32 bitmap offsets (relative to the bitmap area)
//	  pad to 8, bitmap area: per key its one row as a u32 (a 4-byte span), or a
//	  bitmap 8-aligned (zero padding before it) and padded to 8
//	k x u32   CRC32C of each 4096-byte page of the body (the last one may be shorter),
//	          k = ceil(body length / 4096)
//	u32       body length
//	u32       CRC32C of the k page checksums and the body length
//
// Postings checks the last 4k+8 bytes on first use, then each page of the body the first
// time a lookup reads from it: a lookup verifies the dozen or so pages its binary search,
// offsets and bitmap lie in, not the whole section. (The directory's CRC32C of the whole
// section is still written, and checked by Section and Verify.) Bitmaps are opened
// zero-copy (roaring FromBuffer) only after the pages holding them have been verified, and
// Validate is called on each before it is returned.
//
// # What the builder stores (names are constants in builder.go: the contract with query/)
//
//	captures                 fingerprint + info object (`pcapdex info --format jsonl`) per file
//	meta                     build facts, JSON (format, flow hash version, block rows, counts)
//	packets, packets.meta    one row per packet, 64Ki rows per block, time column "ts":
//	                         ts, file, off (record offset), caplen, trunc (origlen - caplen),
//	                         dir, tcp_flags, seq, ack, win, plen, kslot
//	packets.flow(.meta)      same blocks: flow (id = flow row + 1, 0 without IP), analysis
//	                         (bit 1<<EventType per event flagged on the packet)
//	flows, flows.meta        one row per flow (row r is flow id r+1), in order of first packet,
//	                         FlowBlockRows (8Ki) rows per block
//	events, events.meta      TCP analysis events in frame order (frame, ts, flow, type, ...)
//	series, series.meta      per second: packets, bytes, new_flows, events
//	post.orig_h post.resp_h  address (4 bytes IPv4, 16 bytes IPv6) -> flow rows
//	post.orig_p post.resp_p  port (u16 big endian; TCP, UDP, SCTP) -> flow rows
//	post.proto post.vlan     protocol (1 byte), outermost VLAN id (u16 BE) -> flow rows
//	post.state post.event    conn_state name ("SF"), event type (1 byte) -> flow rows
//	post.flow.blocks         flow row (u32 BE) -> packet blocks, only for flows whose packets
//	                         span more than WideFlowBlocks blocks; others use the flow's
//	                         pblk_first..pblk_last columns
//
// seq, ack and win of TCP packets, and flow of TCP rows, are stored as the miss of a
// prediction from the previous packet of the same connection in the block (see packets.go):
// read them through Packets.ReadBlock / ReadFlowIDs, or decode columns read by hand with
// ResolveFlowIDs / ResolveSeqAck, never as raw columns.
//
// # Writing
//
// Writer streams sections to a temporary file beside the target, syncs it and renames it
// over the target on Close, so readers see the old index or the new one, never a mix.
//
// The Builder makes one pass: Builder.ReadCapture runs each capture through
// flowhash.Pipeline (decode and flow tracking on Options.Flow.Workers goroutines) and
// consumes its batches in capture order, each packet with its final flow id, key id, and
// event bits; Builder.Add is the single-goroutine form (flowhash.Tracker) and writes the
// same bytes, whatever the number of workers (TestBuildSameBytesAnyWorkers). Packet blocks
// are compressed in the background as they fill; packets.flow blocks too, kept compressed
// in memory (about 0.3 bytes per packet on the benchmark capture) and written after
// packets, since sections are contiguous. Nothing else is kept per packet: per flow about
// 16 bytes plus 8 per packet block it reaches, per key 48, besides flowhash's flow
// table. After the pass, the postings are built on goroutines of their own while the flow,
// event and series tables are written.
package index
