package synth

import "math"

// tour lists the first flows of every output: one of each feature, so that even a small
// capture shows them all. After the tour, flows are drawn from the mix.
var tour = []struct {
	kind  flowKind
	v6    bool
	vlan  uint16
	force int
	slow  bool
	close int
	up    bool
}{
	{kind: kindTCP, force: injFast, close: closeCliFIN},
	{kind: kindTCP, v6: true, force: injOOO, close: closeSrvFIN},
	{kind: kindTCP, vlan: 100, force: injRTO, close: closeCliFIN},
	{kind: kindTCP, force: injZeroWin, close: closeSrvFIN},
	{kind: kindTCP, slow: true, close: closeCliFIN},
	{kind: kindSynNoAnswer},
	{kind: kindRejected, v6: true},
	{kind: kindDNS},
	{kind: kindDNS, v6: true, vlan: 20},
	{kind: kindICMP},
	{kind: kindICMP, v6: true},
	{kind: kindTCP, up: true, force: injFast, close: closeCliRST},
	{kind: kindTCP, v6: true, close: closeSrvRST},
	{kind: kindTCP, close: closeNone},
}

var vlans = [...]uint16{10, 20, 30, 100, 200}

// logUniform returns a value between lo and hi, uniform in log scale.
func (g *Generator) logUniform(lo, hi float64) float64 {
	return lo * math.Exp(g.rng.Float64()*math.Log(hi/lo))
}

// setup draws a new flow's kind, addresses and parameters.
func (g *Generator) setup(f *flow) {
	n := f.id
	r := g.rng
	var slow, up bool
	f.force = injNone
	f.closeHow = closeCliFIN
	if n < uint64(len(tour)) {
		t := tour[n]
		f.kind, f.a.v6, f.a.vlan, f.force, slow, f.closeHow, up = t.kind, t.v6, t.vlan, t.force, t.slow, t.close, t.up
	} else {
		switch x := r.Float64(); {
		case x < 0.30:
			f.kind = kindDNS
		case x < 0.32:
			f.kind = kindICMP
		case x < 0.35:
			f.kind = kindSynNoAnswer
		case x < 0.37:
			f.kind = kindRejected
		default:
			f.kind = kindTCP
		}
		f.a.v6 = r.Float64() < 0.25
		if r.Float64() < 0.10 {
			f.a.vlan = vlans[r.IntN(len(vlans))]
		}
		slow = r.Float64() < 0.03
		switch x := r.Float64(); {
		case x < 0.45:
			f.closeHow = closeCliFIN
		case x < 0.75:
			f.closeHow = closeSrvFIN
		case x < 0.85:
			f.closeHow = closeCliRST
		case x < 0.93:
			f.closeHow = closeSrvRST
		default:
			f.closeHow = closeNone
		}
		up = r.Float64() < 0.03
	}

	// Addresses: the client (host, port) pair is unique per flow id, so 5-tuples never repeat.
	const hosts = 4093
	host := uint32(n % hosts)
	port := uint16(1024 + (n/hosts)%64000)
	srv := uint32(r.IntN(200))
	a := &f.a
	if a.v6 {
		a.cli = [16]byte{0xfd, 0, 0, 0x20, 14: byte(host >> 8), 15: byte(host)}
		a.srv = [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 15: byte(srv + 1)}
		a.cli[13] = 1
	} else {
		a.cli = [16]byte{10, 20, byte(host / 250), byte(host%250 + 2)}
		a.srv = [16]byte{[3]byte{192, 198, 203}[srv%3], [3]byte{0, 51, 0}[srv%3], [3]byte{2, 100, 113}[srv%3], byte(srv/3 + 1)}
	}
	a.cliMAC = [6]byte{0x02, 0x00, 0x0a, 0x14, byte(host >> 8), byte(host)}
	a.srvMAC = [6]byte{0x02, 0x00, 0x5e, 0x00, 0x01, byte(srv)}
	a.cport = port
	a.cliTTL = 64
	a.srvTTL = uint8(48 + r.IntN(16))
	a.ipidC = uint16(r.Uint32())
	a.ipidS = uint16(r.Uint32())
	f.rS = g.us(20, 300)
	f.rC = int64(g.logUniform(1000, 150000)) * 1000
	f.payloadBase = r.Uint64()

	switch f.kind {
	case kindDNS:
		a.proto, a.sport = protoUDP, 53
		f.dns = true
		f.dnsName = r.Uint32()
		f.icmpID = uint16(r.Uint32())
		f.noAnswer = n >= uint64(len(tour)) && r.Float64() < 0.08 || n == 8
		f.retryQuery = !f.noAnswer && r.Float64() < 0.05
	case kindICMP:
		// Zeek (and pcapdex) key ICMP by hosts, type and code, not by echo id: give every
		// ICMP flow its own client address so that flows never merge there.
		if a.v6 {
			a.cli = [16]byte{0xfd, 0, 0, 0x21, 12: byte(n >> 24), 13: byte(n >> 16), 14: byte(n >> 8), 15: byte(n)}
		} else {
			a.cli = [16]byte{10, 128 | byte(n>>16)&0x7f, byte(n >> 8), byte(n)}
		}
		a.proto = protoICMP
		if a.v6 {
			a.proto = protoICMPv6
		}
		f.icmpID = uint16(n / hosts)
		f.icmpCount = 1 + r.IntN(4)
		f.noAnswer = n >= uint64(len(tour)) && r.Float64() < 0.05
	default:
		a.proto = protoTCP
		a.sport = [...]uint16{443, 443, 443, 80, 8443, 9000, 445, 993}[r.IntN(8)] // ports whose dissectors accept random payloads
		f.isnC, f.isnS = r.Uint32(), r.Uint32()
		f.tsOK = r.Float64() < 0.8
		f.sackOK = r.Float64() < 0.9
		f.wsOK = r.Float64() < 0.85
		f.mss = 1460
		if a.v6 {
			f.mss = 1440
		}
		if r.Float64() < 0.1 {
			f.mss -= 80 // tunnels, PPPoE
		}
		f.seg = f.mss
		if f.tsOK {
			f.seg -= 12
		}
		f.tsBaseC, f.tsBaseS = r.Uint32(), r.Uint32()
		if f.wsOK {
			f.wsC, f.wsS = 7, uint8(7+r.IntN(3))
			f.winC = uint16(500 + r.IntN(1548))
			f.winS = uint16(250 + r.IntN(250))
		} else {
			f.winC, f.winS = 64240, 65160
		}
		f.gap = g.us(10, 120)
		f.wmax = [...]int{16, 32, 32}[r.IntN(3)]
		f.synRetries = 1 + r.IntN(3)
		if slow {
			f.srvDelay = g.us(300000, 700000)
		}
		s, big, tiny := g.k.scale, g.k.big, g.k.tiny
		switch x := r.Float64(); {
		case up && (n < uint64(len(tour)) || r.Float64() < big):
			f.reqLen = uint64(g.logUniform(50e3, 2e6) * s)
			f.respLen = uint64(100 + r.IntN(400))
		case x < 1-0.50*big:
			f.reqLen = uint64(100 + r.IntN(500))
			f.respLen = uint64(g.logUniform(200, 8e3) * s * tiny)
		case x < 1-0.15*big:
			f.reqLen = uint64(100 + r.IntN(900))
			f.respLen = uint64(g.logUniform(8e3, 200e3) * s)
		default:
			f.reqLen = uint64(200 + r.IntN(1000))
			f.respLen = uint64(g.logUniform(200e3, 3e6) * s)
		}
		if f.force != injNone {
			f.respLen = 50e3 + uint64(r.IntN(20e3))
			if up {
				f.reqLen, f.respLen = f.respLen, 300
			}
		}
		if f.respLen == 0 {
			f.respLen = 1
		}
		if f.reqLen == 0 {
			f.reqLen = 1
		}
	}
	a.init()
}
