#!/usr/bin/env python3
"""Make tcpdump-frames.tsv: for each capture and tcpdump filter, the frame numbers tcpdump selects.

Usage: tcpdump_frames.py CORPUS_DIR > tcpdump-frames.tsv   (needs tcpdump on PATH)

tcpdump -w writes the matching records; they are a subsequence of the capture's records, so
walking both in order gives each one's frame number. Frames print as ranges: 1-5,7,9-12.
Lines: capture TAB filter TAB frames ("-" when none; "error" when tcpdump rejects the filter).
"""
import os, struct, subprocess, sys, tempfile

CAPTURES = ["example.pcap", "206_example_b.pcap", "VlanPackets.pcap", "gnutella.pcap", "gre-aruba.pcap",
            "ip4_fragments.pcap", "ip6_fragments.pcap", "many-protocols.pcap", "sll.pcap", "raw_ip.pcap",
            "sv-smb-length-5770-input.pcap", "sv-decode-sll2-02-input.pcap", "timestamp.pcap"]

FILTERS = [
    "src port 53", "dst port 53", "port 53", "src host 10.0.0.6 and dst port 80", "tcp dst port 80",
    "host 10.0.0.6", "src host 10.0.0.6", "dst host 10.0.0.6", "not host 10.0.0.6", "ip host 10.0.0.6",
    "net 10", "net 10.0.0.0/8", "src net 192.168", "dst net 192.168.0.0 mask 255.255.0.0", "net 172.16/12",
    "portrange 1-1023", "src portrange 1024-65535", "tcp portrange 80-443", "udp", "tcp", "icmp", "icmp6",
    "ip", "ip6", "not ip", "arp", "not arp", "rarp", "ip proto \\udp", "ip proto 47", "proto 47",
    "ip6 proto 58", "sctp", "igmp", "vlan", "vlan and tcp", "vlan and ip", "not vlan", "vlan 10", "vlan 100 and udp",
    "greater 1000", "less 100", "len > 1500", "len <= 60", "ether broadcast", "broadcast", "multicast",
    "ether multicast", "ip multicast", "ip6 multicast", "ether proto 0x0806", "ether proto \\ip6",
    "ether host ff:ff:ff:ff:ff:ff", "ether dst ff:ff:ff:ff:ff:ff", "ether src 00:00:00:00:00:00",
    "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "tcp[13] & 2 != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "tcp[tcpflags] & tcp-rst != 0", "tcp[13] == 0x18",
    "ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 != 0", "ip[8] < 64", "ip[0] & 0xf > 5",
    "icmp[icmptype] == icmp-echo", "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
    "icmp[0] == 3", "udp[0:2] == 53 or udp[2:2] == 53", "udp[4:2] > 100", "ip6[6] == 17",
    "icmp6[icmp6type] == icmp6-echo", "ether[12:2] == 0x0800", "ether[0] & 1 != 0",
    "tcp port 80 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "(tcp[12] & 0xf0) >> 2 > 20",
    "tcp and (tcp[2:2] > 1024 or tcp[0:2] > 1024)", "len - 14 > 1000", "ip[2:2] * 2 > 2000", "ip[2:2] / 100 == 0",
    "host 10.0.0.6 and not port 80", "tcp or udp and port 53", "not (tcp or udp)", "(tcp or udp) and not port 80",
    "src or dst host 10.0.0.6", "ip and not tcp and not udp", "ip6 and tcp", "tcp and src port 80 or dst port 80",
]

def records(path):
    with open(path, "rb") as f:
        d = f.read()
    magic = d[:4]
    le = magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
    e = "<" if le else ">"
    off = 24
    out = []
    while off + 16 <= len(d):
        ts, frac, caplen, wire = struct.unpack(e + "IIII", d[off:off + 16])
        out.append((ts, frac, caplen, wire, d[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out

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

def main():
    corpus = sys.argv[1]
    for cap in CAPTURES:
        path = os.path.join(corpus, cap)
        allr = records(path)
        for flt in FILTERS:
            with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
                p = subprocess.run(["tcpdump", "-r", path, "-w", tmp.name, flt], capture_output=True)
                if p.returncode != 0:
                    print("%s\t%s\terror" % (cap, flt))
                    continue
                got = records(tmp.name)
            frames, i = [], 0
            for g in got:
                while i < len(allr) and allr[i][2:] != g[2:]:
                    i += 1
                if i == len(allr):
                    sys.exit("%s %r: a written record is not in the capture" % (cap, flt))
                i += 1
                frames.append(i)
            print("%s\t%s\t%s" % (cap, flt, ranges(frames)))

main()
