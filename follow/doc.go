// Package follow indexes captures while they are written (tcpdump -w, -C/-W, -G, dumpcap
// ring buffers) and keeps an ordinary pcapdex index of them current, so every query command
// answers about the last seconds too.
//
// # The follow directory
//
//	DIR/manifest            the checkpoint: which files, how far each is committed
//	DIR/index-GEN.pcapdex   the sealed index the manifest names (an ordinary pcapdex index)
//
// A Follower reads each capture with pcapng.Tail: only whole records are committed, a
// record the writer has not finished is pending, and becomes a truncated tail only once the
// file is closed (a newer file of the set exists, or it has not grown for Options.Settle).
//
// Sealing writes index-GEN.pcapdex over the committed prefix of every file still on disk,
// in the manifest's order, through index.NewBuilder and the flowhash pipeline exactly as
// `pcapdex index` builds (so flows and TCP analysis continue across files and segments
// exactly), then replaces the manifest atomically (write a temporary file, fsync, rename,
// fsync the directory) and removes the previous index. The index is a pure function of
// (files, committed offsets): a follower killed at any instant (kill -9 included) restarts
// from the last manifest, re-reads each file up to its committed offset (pcapng.Tail.SkipTo,
// which also restores interfaces and frame numbers) and continues, so no record and no flow
// is lost or counted twice. Flow and TCP state are not serialised: they are rebuilt by that
// replay, which is the one design here that resumes exactly whatever the flows are doing.
// The price is that each seal re-reads the committed data; seals are spaced so that
// rebuilding takes at most a fifth of the time (see Options.SealEvery).
//
// # Alerts
//
// With rules (ParseRules, a TOML file), a live pass (flowhash.Pipeline with an Engine)
// reads each file as it grows, so an alert is raised within a scan of the packet being
// written, independently of seals. The Engine works on capture time only (see Engine), so a
// replay of the same files gives the same alerts. After a restart the live pass first
// replays the files on disk from their start (rebuilding flow, TCP and window state) and
// prints only the alerts past the manifest's alert watermark.
//
// # Manifest format (version 1, durable)
//
//	line 1:  "pcapdex-follow 1 " CRC-32C of the body (8 lowercase hex digits) "\n"
//	body:    JSON object: {"generation": n, "index": "index-n.pcapdex", "files": [FileEntry...],
//	         "alert_ts": ns, "alert_seq": n}
//
// A manifest whose checksum or version does not match is an error naming the file: the
// follower does not guess. FileEntry holds the path, the identity (device, inode, SHA-256
// of the first HeadLen <= 64 bytes), the committed offset, the packets committed, the first
// and last packet times, and the states closed, truncated and gone. A file's identity is
// checked on every scan: a path whose inode changed, or whose first bytes or size no
// longer match (a ring that truncates the same inode), is a new file; the old entry stays
// in the manifest marked gone ("packets gone": they are no longer in the index, whose
// answers cover the files on disk).
//
// Files are ordered, when first seen together, by ring number (dumpcap's _NNNNN_, or
// tcpdump -C's trailing digits), then by name (strftime names sort by time), then by first
// packet time (a tcpdump -W ring found after it wrapped starts at its oldest file); files
// discovered later follow those seen before.
package follow
