// Package pcapng reads and writes packet captures: classic pcap (microsecond and nanosecond,
// both byte orders) and pcapng (several sections of any byte order, IDB, EPB, SPB, OPB, NRB,
// ISB; other blocks skipped), optionally compressed with gzip, zstd or lz4.
//
// Reading:
//
//	r, err := pcapng.Open(path, pcapng.Options{})   // "-" reads stdin
//	defer r.Close()
//	var p pcapng.Packet
//	for {
//		err := r.Next(&p)
//		if err == io.EOF { break }               // r.Truncated() says whether the tail was cut
//		if err != nil { return err }             // *FormatError: file, offset, block, what
//		use(&p)
//	}
//
// A regular uncompressed file is memory-mapped and packets are views into the mapping, valid
// until Close; otherwise (stdin, pipes, compressed files, Options.NoMmap) they are views into
// a reused buffer, valid until the next Next. ReadBatch fills a Batch whose packets stay
// valid until the batch is reused (plain-read packets are copied into the batch's buffer).
// Nothing is allocated per packet on either path. NewBytesReader reads a capture already in
// memory the same way (views into the caller's bytes). A mapped file must not shrink while
// it is read (the process would get SIGBUS, as with any mmap reader).
//
// Offsets: Packet.Offset is the byte offset of the packet's record (pcap record header or
// pcapng block) in the decompressed stream; ReadPacketAt reads a packet back from it.
//
// Timestamps are int64 nanoseconds since the Unix epoch, computed exactly from the
// interface's if_tsresol (decimal or binary) and if_tsoffset; values that do not fit are
// clamped and counted in Warnings. Classic pcap sub-second fields are added as they are
// (a microsecond field >= 1e6 carries into the seconds; nothing is rejected).
//
// Limits: a packet record may capture at most 256 KiB; a larger captured length is a
// *FormatError, never an allocation. Non-packet blocks are parsed up to 16 MiB.
//
// Tail reading (Tail, OpenTail): a capture still being written is read up to its last whole
// record; a record cut by the writer is pending (ErrPending) and retried, and becomes a
// truncated tail only once SetClosed says the writer is done.
//
// Writing: NewPcapWriter and NewPcapngWriter produce buffered, append-style writers.
package pcapng
