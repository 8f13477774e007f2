#!/usr/bin/env python3
"""Make the Wireshark goldens (needs tshark on PATH; tshark 4.0 made the committed ones):

  tshark_display.py frames CORPUS_DIR > tshark-display-frames.tsv
      capture TAB display filter TAB frames tshark -Y selects (ranges: 1-5,7; "-" for none)
  tshark_display.py fields CORPUS_DIR > tshark-fields.tsv
      for each of FIELD_CAPTURES: a line "# CAPTURE", then tshark -T fields -E header=y -e FIELD...
      for every FIELDS (the rows pcapdex packets -e must equal)
  tshark_display.py streams CORPUS_DIR > tshark-tcp-stream.tsv
      capture TAB tcp.stream of every frame that has one, as runs FIRST-LAST:STREAM of
      consecutive frames in the same stream ("-" for none)
"""
import os, subprocess, sys

CAPTURES = ["example.pcap", "206_example_b.pcap", "gnutella.pcap", "many-protocols.pcap", "sll.pcap",
            "retransmit-fast009.pcap", "one_http_stream_rst.pcap", "ip4_fragments.pcap", "raw_ip.pcap",
            "VlanPackets.pcap"]

FILTERS = [
    "ip.addr == 10.0.0.6", "ip.src == 10.0.0.6", "ip.dst == 10.0.0.6", "ip.addr == 10.0.0.0/8",
    "ip.addr == 10.0.0.6 && tcp.port == 80", "!(ip.addr == 10.0.0.6)", "ip.addr != 10.0.0.6",
    "ipv6", "ipv6.addr == ::1", "tcp.port == 80", "tcp.port in {80, 443, 8080}", "udp.port == 53",
    "tcp.srcport == 80", "tcp.dstport == 80", "udp.srcport == 53 || udp.dstport == 53",
    "tcp.stream == 0", "tcp.stream == 3", "tcp.stream in {1, 2, 5}", "udp.stream == 0",
    "tcp.flags.syn == 1", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags.reset == 1",
    "tcp.flags.fin == 1 || tcp.flags.reset == 1", "tcp.flags.push == 1 and tcp.len > 0",
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.duplicate_ack",
    "tcp.analysis.out_of_order", "tcp.analysis.zero_window", "tcp.analysis.lost_segment",
    "tcp.analysis.ack_lost_segment", "tcp.analysis.window_update", "tcp.analysis.keep_alive",
    "tcp.analysis.flags", "frame.len > 1000", "frame.len <= 60", "frame.number <= 10",
    "frame.number in {1, 5, 9..12}", "tcp.len > 0", "tcp.len == 0", "tcp.window_size < 1000",
    "tcp.window_size_value > 60000", "eth.addr == ff:ff:ff:ff:ff:ff", "eth.dst == ff:ff:ff:ff:ff:ff",
    "vlan", "vlan.id == 10", "ip.ttl < 64", "ip.ttl == 128", "ip.proto == 17", "ip.id == 0",
    "icmp", "icmp.type == 8", "arp", "tcp && !(tcp.port == 80)", "tcp.seq == 1", "tcp.ack == 1",
    "tcp.options.mss_val >= 1460", "tcp.hdr_len > 20", "udp.length > 100",
]

FIELD_CAPTURES = ["retransmit-fast009.pcap", "one_http_stream_rst.pcap", "sll.pcap", "raw_ip.pcap",
                  "VlanPackets.pcap", "pptp.pcap", "ip4_fragments.pcap", "tcp-handshake-nano.pcap"]

FIELDS = ["frame.number", "frame.time_epoch", "frame.len", "frame.cap_len", "eth.src", "eth.dst", "eth.type",
          "vlan.id", "ip.src", "ip.dst", "ip.ttl", "ip.id", "ip.proto", "ip.len", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.seq", "tcp.seq_raw", "tcp.ack", "tcp.ack_raw",
          "tcp.len", "tcp.hdr_len", "tcp.flags", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin",
          "tcp.flags.reset", "tcp.flags.push", "tcp.flags.str", "tcp.window_size", "tcp.window_size_value",
          "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.analysis.retransmission",
          "tcp.analysis.fast_retransmission", "tcp.analysis.duplicate_ack", "tcp.analysis.out_of_order",
          "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment", "tcp.analysis.window_update",
          "udp.srcport", "udp.dstport", "udp.length", "udp.stream", "icmp.type", "icmp.code"]

def ranges(nums):
    if not nums:
        return "-"
    out, start, prev = [], nums[0], nums[0]
    for n in nums[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else "%d-%d" % (start, prev))
        if n is not None:
            start = prev = n
    return ",".join(out)

def tshark(path, *args):
    p = subprocess.run(["tshark", "-r", path, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("tshark %s %s: %s" % (path, args, p.stderr))
    return p.stdout

def main():
    mode, corpus = sys.argv[1], sys.argv[2]
    if mode == "fields":
        args = []
        for f in FIELDS:
            args += ["-e", f]
        for cap in FIELD_CAPTURES:
            print("# " + cap)
            sys.stdout.write(tshark(os.path.join(corpus, cap), "-T", "fields", "-E", "header=y", *args))
        return
    if mode == "frames":
        for cap in CAPTURES:
            path = os.path.join(corpus, cap)
            for flt in FILTERS:
                out = tshark(path, "-Y", flt, "-T", "fields", "-e", "frame.number")
                print("%s\t%s\t%s" % (cap, flt, ranges([int(x) for x in out.split()])))
        return
    for cap in sorted(os.listdir(corpus)):
        if not cap.endswith((".pcap", ".pcapng", ".gz")) or cap.startswith(("fuzz", "pcap-invalid", "shb-option", "timestamp_invalid", "y2038")):
            continue
        path = os.path.join(corpus, cap)
        p = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "tcp.stream"], capture_output=True, text=True)
        runs = []
        for line in p.stdout.splitlines():
            f, _, s = line.partition("\t")
            if not s:
                continue
            s = s.split(",")[0]
            f = int(f)
            if runs and runs[-1][1] == f - 1 and runs[-1][2] == s:
                runs[-1][1] = f
            else:
                runs.append([f, f, s])
        print("%s\t%s" % (cap, ",".join("%d-%d:%s" % (a, b, s) if a != b else "%d:%s" % (a, s) for a, b, s in runs) or "-"))

main()
