package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestInfoMatchesManifest is ../shared/tools/oracle-diff in Go: every manifest column that
// `pcapdex info --format jsonl` reports must equal what tshark 4.0.17 reported, on every corpus
// file, except for the differences listed in infoOracleExceptions, each with its reason.
func TestInfoMatchesManifest(t *testing.T) {
	dir := infoCorpusDir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comma = '\t'
	cr.LazyQuotes = true
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	numeric := []string{"packets", "frame_bytes", "ipv4", "ipv6", "tcp", "udp",
		"ipv4_outer", "ipv6_outer", "tcp_outer", "udp_outer", "syn", "rst",
		"vlan_frames", "qinq_frames", "ipv4_fragments", "ipv6_fragments", "ipv6_ext_hdr_frames",
		"snaplen_truncated_frames", "max_frame_len", "ts_backward_steps",
		"tcp_conversations", "udp_conversations", "retransmissions", "out_of_order",
		"dup_acks", "zero_windows", "no_timestamp_packets"}
	compared := 0
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, h := range header {
			if i < len(row) {
				m[h] = row[i]
			}
		}
		file := m["file"]
		t.Run(file, func(t *testing.T) {
			_, out, stderr := runInfoTest(t, "--format", "jsonl", filepath.Join(dir, file))
			var obj map[string]any
			if err := json.Unmarshal([]byte(out), &obj); err != nil {
				t.Fatalf("info output is not one JSON object: %v\n%s\nstderr: %s", err, out, stderr)
			}
			if msg, rejected := obj["error"].(string); rejected && obj["format"] == nil {
				// The file could not be opened at all (exit 3). tshark rejects these too
				// (unsupported version, malformed section header): it must have read nothing.
				if m["packets"] != "0" || m["tshark_exit"] == "0" {
					t.Errorf("pcapdex rejects the file (%s) but tshark read %s packets", msg, m["packets"])
				}
				return
			}
			exc := infoOracleExceptions[file]
			check := func(col, ours, theirs string) {
				compared++
				if ours == theirs {
					if _, listed := exc[col]; listed {
						t.Errorf("%s: agrees with tshark now (%s); drop the documented exception", col, ours)
					}
					return
				}
				if want, listed := exc[col]; listed && want.ours == ours {
					return
				}
				t.Errorf("%s: pcapdex=%s tshark=%s", col, ours, theirs)
			}
			for _, col := range numeric {
				theirs, ok := m[col]
				if !ok || theirs == "" {
					continue
				}
				v, ok := obj[col].(float64)
				if !ok {
					t.Errorf("%s missing from info JSON", col)
					continue
				}
				check(col, strconv.FormatUint(uint64(v), 10), theirs)
			}
			for _, col := range []string{"first_ts", "last_ts"} {
				ours, _ := obj[col].(string)
				check(col, ours, m[col])
			}
			if got, want := obj["format"], strings.SplitN(strings.TrimPrefix(m["format"], "gzip("), "/", 2)[0]; got != want {
				t.Errorf("format %v, want %v", got, want)
			}
		})
	}
	if compared == 0 {
		t.Fatal("no column compared")
	}
}

type oracleException struct {
	ours   string // what pcapdex reports instead
	reason string
}

// infoOracleExceptions lists where pcapdex disagrees with tshark on purpose. Each entry names
// the value pcapdex reports, so a change in behaviour shows up as a failure, not a silent pass.
var infoOracleExceptions = map[string]map[string]oracleException{
	// Record 2's incl_len (0x53fe6000) is impossible (> 256 KiB): a strict reader stops there
	// with a format error after record 1 (exit 4). tshark tries another pcap "flavour" and
	// invents a bogus frame 2 (negative time, 1 MiB wire length, 1 byte captured).
	"fuzz.pcap": {
		"packets":                  {"1", "strict reader stops at the impossible record 2"},
		"frame_bytes":              {"188", "no bogus frame 2"},
		"max_frame_len":            {"188", "no bogus frame 2"},
		"snaplen_truncated_frames": {"0", "no bogus frame 2"},
		"ts_backward_steps":        {"0", "no bogus frame 2"},
		"last_ts":                  {"1508525002.992213000", "no bogus frame 2"},
		// tshark marks frame 1 as damaged as a whole; we decode its valid IPv4/TCP headers.
		"ipv4":       {"1", "frame 1 is a valid Ethernet/IPv4/TCP packet"},
		"ipv4_outer": {"1", "frame 1 is a valid Ethernet/IPv4/TCP packet"},
		"tcp":        {"1", "frame 1 is a valid Ethernet/IPv4/TCP packet"},
		"tcp_outer":  {"1", "frame 1 is a valid Ethernet/IPv4/TCP packet"},
	},
	// The only record's caplen (524501) exceeds the 256 KiB limit and the file: a format error at
	// the first record (exit 4); tshark reads a giant frame out of a 239-byte file.
	"fuzz-2021-10-13.pcap": {
		"packets":                  {"0", "the only record is impossible"},
		"frame_bytes":              {"0", "the only record is impossible"},
		"max_frame_len":            {"0", "the only record is impossible"},
		"snaplen_truncated_frames": {"0", "the only record is impossible"},
		"first_ts":                 {"-", "no packet"},
		"last_ts":                  {"-", "no packet"},
	},
	// A microsecond field >= 1e6 is carried into the seconds (1000000 us = +1 s; 2^31 us =
	// +2147 s) instead of printed raw as tshark does, so time never appears to step back.
	"timestamp_invalid_micro.pcap": {
		"ts_backward_steps": {"0", "sub-second overflow carried into seconds"},
		"last_ts":           {"1418147517.483648000", "sub-second overflow carried into seconds"},
	},
	// Timestamps near 2^64 microseconds do not fit int64 nanoseconds (year 2262); they are
	// clamped to the largest value, with a warning, rather than wrapped.
	"pcapng-example.pcapng": {
		"last_ts": {"9223372036.854775807", "timestamp beyond int64 nanoseconds clamped"},
	},
}
