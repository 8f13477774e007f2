// Package anon anonymizes addresses for sharing captures and exports: IPv4 and IPv6 with
// Crypto-PAn (Xu, Fan, Ammar, Moon: "Prefix-Preserving IP Address Anonymization",
// ICNP 2002), so two addresses that share a k-bit prefix map to two addresses that share
// exactly a k-bit prefix, and MAC addresses with the same construction over 48 bits under
// a key of their own (the OUI prefix is kept as a prefix, the vendor hidden). The mapping
// depends only on the key: the same key gives the same mapping in every file and run, a
// different key an unrelated one.
//
// The construction is the reference implementation's: of the 32-byte key, the first 16
// bytes are an AES-128 key and the last 16, encrypted with it, the pad. Bit i of the
// output is bit i of the input XOR the first bit of AES(the input's first i bits followed
// by the pad's remaining bits). IPv4 matches the reference's published sample trace; IPv6
// extends the same rule to 128 bits, as the common implementations do.
package anon

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"sync"
)

// KeySize is the size of a Crypto-PAn key.
const KeySize = 32

// Anonymizer maps addresses under one key. It is safe for concurrent use; it remembers the
// addresses it has mapped (a capture repeats a few addresses many times).
type Anonymizer struct {
	ip, mac prf

	mu    sync.Mutex
	addrs map[netip.Addr]netip.Addr
	macs  map[[6]byte][6]byte
}

// prf is the pseudorandom function of one key: AES-128 and the pad.
type prf struct {
	block cipher.Block
	pad   [16]byte
}

func newPRF(key []byte) (prf, error) {
	b, err := aes.NewCipher(key[:16])
	if err != nil {
		return prf{}, err
	}
	p := prf{block: b}
	b.Encrypt(p.pad[:], key[16:32])
	return p, nil
}

// New returns the Anonymizer of a 32-byte key.
func New(key []byte) (*Anonymizer, error) {
	if len(key) != KeySize {
		return nil, errors.New("anon: the key must be 32 bytes")
	}
	a := &Anonymizer{addrs: map[netip.Addr]netip.Addr{}, macs: map[[6]byte][6]byte{}}
	var err error
	if a.ip, err = newPRF(key); err != nil {
		return nil, err
	}
	// MAC addresses get a key of their own, so that a MAC and an IPv4 address with the
	// same leading bits do not map to the same leading bits.
	mk := sha256.Sum256(append([]byte("pcapdex anon mac\x00"), key...))
	if a.mac, err = newPRF(mk[:]); err != nil {
		return nil, err
	}
	return a, nil
}

// ParseKey turns a --anonymize KEY into 32 key bytes: 64 hex digits are the key itself;
// any other text is a passphrase, hashed with SHA-256.
func ParseKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("anon: empty key")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	h := sha256.Sum256([]byte(s))
	return h[:], nil
}

// anonymize maps the first bits bits of in (big-endian, bits <= 128) to out.
func (p *prf) anonymize(out, in []byte, bits int) {
	var block, enc [16]byte
	n := (bits + 7) / 8
	clear(out[:n])
	for i := range bits {
		// block: the first i bits of in, then the pad's bits from i on.
		block = p.pad
		full := i / 8
		copy(block[:full], in[:full])
		if r := i % 8; r != 0 {
			mask := byte(0xff) << (8 - r)
			block[full] = in[full]&mask | p.pad[full]&^mask
		}
		p.block.Encrypt(enc[:], block[:])
		out[i/8] |= (enc[0] >> 7) << (7 - i%8)
	}
	for i := range n {
		out[i] ^= in[i]
	}
}

// Addr returns the anonymized address of a (IPv4, IPv6, or IPv4-mapped IPv6 as IPv6; the
// zone is dropped). The zero Addr stays zero.
func (a *Anonymizer) Addr(addr netip.Addr) netip.Addr {
	if !addr.IsValid() {
		return addr
	}
	addr = addr.WithZone("")
	a.mu.Lock()
	v, ok := a.addrs[addr]
	a.mu.Unlock()
	if ok {
		return v
	}
	if addr.Is4() {
		in := addr.As4()
		var out [4]byte
		a.ip.anonymize(out[:], in[:], 32)
		v = netip.AddrFrom4(out)
	} else {
		in := addr.As16()
		var out [16]byte
		a.ip.anonymize(out[:], in[:], 128)
		v = netip.AddrFrom16(out)
	}
	a.mu.Lock()
	a.addrs[addr] = v
	a.mu.Unlock()
	return v
}

// MAC returns the anonymized MAC address of m. Broadcast and multicast addresses (the
// group bit set) are kept: they name no station, and readers rely on them.
func (a *Anonymizer) MAC(m [6]byte) [6]byte {
	if m[0]&1 != 0 {
		return m
	}
	a.mu.Lock()
	v, ok := a.macs[m]
	a.mu.Unlock()
	if ok {
		return v
	}
	a.mac.anonymize(v[:], m[:], 48)
	v[0] &^= 1 // stay a unicast address
	a.mu.Lock()
	a.macs[m] = v
	a.mu.Unlock()
	return v
}

func netipFrom4(b []byte) netip.Addr  { return netip.AddrFrom4([4]byte(b)) }
func netipFrom16(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b)) }
