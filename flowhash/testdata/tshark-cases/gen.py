#!/usr/bin/env python3
"""Write small hand-built TCP captures, one per analysis rule, for flowhash's tests.

Each case is a list of segments between 10.0.0.1 (client) and 10.0.0.2 (server). Run
gen.sh to (re)write the .pcap files and their tshark 4.0.17 goldens (.tcpa), so the tests
compare our analysis with Wireshark's on exactly these packets.
"""
import struct

C, S = '10.0.0.1', '10.0.0.2'
F, SY, R, P, A = 0x01, 0x02, 0x04, 0x08, 0x10


def ip(a):
    return bytes(int(x) for x in a.split('.'))


def seg(t_ms, client, flags, seq, ack, n=0, win=512, mss=None, ws=None, sport=40000):
    return (t_ms, client, flags, seq, ack, n, win, mss, ws, sport)


def frame(s):
    t_ms, client, flags, seq, ack, n, win, mss, ws, sport = s
    src, dst, sp, dp = (C, S, sport, 80) if client else (S, C, 80, sport)
    opts = b''
    if mss is not None:
        opts += struct.pack('!BBH', 2, 4, mss)
    if ws is not None:
        opts += struct.pack('!BBB', 3, 3, ws) + b'\x01'
    while len(opts) % 4:
        opts += b'\x01'
    tcp = struct.pack('!HHIIBBHHH', sp, dp, seq & 0xffffffff, ack & 0xffffffff,
                      (5 + len(opts) // 4) << 4, flags, win, 0, 0) + opts + b'x' * n
    iph = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, ip(src), ip(dst))
    eth = b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00'
    return eth + iph + tcp


def handshake(t0=0.0, rtt=10.0, cisn=1000, sisn=5000, ws=None, sport=40000):
    return [seg(t0, True, SY, cisn, 0, win=65535, mss=1460, ws=ws, sport=sport),
            seg(t0 + rtt / 2, False, SY | A, sisn, cisn + 1, win=65535, mss=1400, ws=ws, sport=sport),
            seg(t0 + rtt, True, A, cisn + 1, sisn + 1, sport=sport)]


CASES = {
    # An acknowledged segment resent within the out-of-order window: spurious wins.
    'spurious_vs_ooo': [seg(0, True, P | A, 1001, 5001, 100), seg(0.1, True, P | A, 1101, 5001, 100),
                        seg(0.5, False, A, 5001, 1201), seg(1.0, True, P | A, 1001, 5001, 100)],
    # Out-of-order within the handshake RTT; lost segment before it.
    'out_of_order': handshake() + [seg(20, True, P | A, 1001, 5001, 100), seg(21, True, P | A, 1201, 5001, 100),
                                   seg(25, True, P | A, 1101, 5001, 100), seg(40, False, A, 5001, 1301)],
    # Plain retransmission after a timeout.
    'retransmission': handshake() + [seg(20, True, P | A, 1001, 5001, 100), seg(300, True, P | A, 1001, 5001, 100),
                                     seg(310, False, A, 5001, 1101)],
    # Three duplicate ACKs, then the missing segment within 20 ms: fast retransmission.
    'fast_retransmission': handshake() + [
        seg(20, True, P | A, 1001, 5001, 100), seg(20.1, True, P | A, 1101, 5001, 100),
        seg(20.2, True, P | A, 1201, 5001, 100), seg(20.3, True, P | A, 1301, 5001, 100),
        seg(30, False, A, 5001, 1101), seg(30.1, False, A, 5001, 1101), seg(30.2, False, A, 5001, 1101),
        seg(30.3, False, A, 5001, 1101), seg(35, True, P | A, 1101, 5001, 100), seg(45, False, A, 5001, 1401)],
    # Fast retransmission inside the out-of-order window: fast retransmission has precedence.
    'fast_vs_ooo': [seg(0, True, P | A, 1001, 5001, 100), seg(0.1, True, P | A, 1101, 5001, 100),
                    seg(0.2, False, A, 5001, 1001), seg(0.3, False, A, 5001, 1001), seg(0.4, False, A, 5001, 1001),
                    seg(1.0, True, P | A, 1001, 5001, 100)],
    # Zero window, probes, probe ACK, window update.
    'zero_window': handshake() + [
        seg(20, True, P | A, 1001, 5001, 100), seg(30, False, A, 5001, 1101, win=0),
        seg(300, True, A, 1101, 5001, 1), seg(301, False, A, 5001, 1101, win=0),
        seg(900, True, A, 1101, 5001, 1), seg(901, False, A, 5001, 1101, win=0),
        seg(1000, False, A, 5001, 1101, win=512), seg(1001, True, P | A, 1101, 5001, 100)],
    # Keep-alive and its ACK.
    'keep_alive': handshake() + [seg(20, False, A, 5001, 1001, win=600), seg(30000, True, A, 1000, 5001),
                                 seg(30001, False, A, 5001, 1001, win=600), seg(60000, True, A, 1000, 5001, 1),
                                 seg(60001, False, A, 5001, 1001, win=600)],
    # Same 5-tuple reused with a new ISN after a close: a second tcp.stream.
    'port_reuse': handshake() + [seg(20, True, F | A, 1001, 5001), seg(30, False, F | A, 5001, 1002),
                                 seg(40, True, A, 1002, 5002)] + handshake(t0=5000, cisn=90000, sisn=70000),
    # SYN retries without an answer, then RST storm from the server on another port.
    'syn_retries': [seg(0, True, SY, 1000, 0, win=65535), seg(1000, True, SY, 1000, 0, win=65535),
                    seg(3000, True, SY, 1000, 0, win=65535)] +
                   [seg(4000 + i, False, R, 5001 + i, 0, win=0, sport=40001) for i in range(6)],
    # Window scaling in the handshake and a segment filling the scaled window.
    'window_full': handshake(ws=3) + [seg(15, False, A, 5001, 1001, win=100),
                                      seg(20, True, P | A, 1001, 5001, 800, win=100)],
    # ACK of data never seen; a gap in the sequence.
    'unseen': handshake() + [seg(20, True, P | A, 1101, 5001, 100), seg(30, False, A, 5001, 1201),
                             seg(40, False, P | A, 5101, 1201, 100), seg(50, True, A, 1201, 5201)],
    # Time going backwards: an old segment stamped earlier is a retransmission.
    'backward_time': handshake() + [seg(20, True, P | A, 1001, 5001, 100), seg(21, True, P | A, 1201, 5001, 100),
                                    seg(19, True, P | A, 1101, 5001, 100)],
    # The out-of-order threshold is the first RTT measured from the SYN (not the SYN-ACK):
    # SYN at 0, SYN-ACK at 9, ACK at 10 ms; a late segment 5 ms after the newest one.
    'first_rtt_from_syn': [seg(0, True, SY, 1000, 0, win=65535), seg(9, False, SY | A, 5000, 1001, win=65535),
                           seg(10, True, A, 1001, 5001)] +
                          [seg(20, True, P | A, 1001, 5001, 100), seg(21, True, P | A, 1201, 5001, 100),
                           seg(26, True, P | A, 1101, 5001, 100)],
    # Window full needs known scaling: mid-stream (no handshake) a segment that fills the
    # advertised window is not flagged. A RST with window 0 is no zero window; a RST beyond
    # nextseq is no lost segment.
    'unknown_scale_rst': [seg(0, False, A, 5001, 1001, win=100), seg(1, True, P | A, 1001, 5001, 100),
                          seg(2, False, A, 5001, 1101, win=100), seg(3, True, R, 9999, 0, win=0)],
    # Data that the receiver had already acknowledged (ACK of an unseen segment first)
    # arrives at nextseq: spurious although it advances the sequence.
    'spurious_advancing': handshake() + [seg(20, False, A, 5001, 1201), seg(21, True, P | A, 1001, 5001, 100),
                                         seg(22, True, P | A, 1101, 5001, 100)],
    # A FIN resent at once: out-of-order test counts the FIN byte.
    'fin_resend': handshake() + [seg(20, True, F | A, 1001, 5001), seg(20.5, True, F | A, 1001, 5001),
                                 seg(30, False, F | A, 5001, 1002), seg(40, True, A, 1002, 5002)],
}


def main():
    for name, segs in CASES.items():
        with open(name + '.pcap', 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))  # ns pcap
            for s in segs:
                d = frame(s)
                ns = 1_600_000_000_000_000_000 + int(round(s[0] * 1e6))
                f.write(struct.pack('<IIII', ns // 10**9, ns % 10**9, len(d), len(d)))
                f.write(d)


if __name__ == '__main__':
    main()
