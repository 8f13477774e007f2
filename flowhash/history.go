package flowhash

// history is a Zeek history string packed five bits a letter, twelve letters to a word: 16
// bytes for MaxHistory letters instead of 24. The letters pcapdex writes are '^' and
// S H A D F R T W Q I in both cases (Zeek's C and G are not produced).
type history [2]uint64

const histAlphabet = "^SHADFRTWQIshadfrtwqi" // letter code = index + 1; 0 ends the string

// histCode maps a letter to its code, 0 for letters outside histAlphabet.
var histCode = func() (c [256]uint8) {
	for i := 0; i < len(histAlphabet); i++ {
		c[histAlphabet[i]] = uint8(i + 1)
	}
	return c
}()

// set stores letter c at position n (< MaxHistory, a free position).
func (h *history) set(n uint8, c byte) {
	h[n/12] |= uint64(histCode[c]) << (n % 12 * 5)
}

// unpack writes the first n letters to dst.
func (h *history) unpack(dst *[MaxHistory]byte, n uint8) {
	for i := uint8(0); i < n; i++ {
		code := h[i/12] >> (i % 12 * 5) & 31
		if code != 0 {
			dst[i] = histAlphabet[code-1]
		}
	}
}
