package pcapng

// pcapng options: code u16 | length u16 | value[length] | padding to 32 bits; code 0
// (opt_endofopt) ends the list. Codes used here:
const (
	optEnd     = 0
	optComment = 1
	// SHB
	optSHBHardware = 2
	optSHBOS       = 3
	optSHBUserAppl = 4
	// IDB
	optIfName     = 2
	optIfDesc     = 3
	optIfTSResol  = 9
	optIfFCSLen   = 13
	optIfTSOffset = 14
	// EPB / OPB
	optEPBFlags = 2
	// ISB
	optISBStart  = 2
	optISBEnd    = 3
	optISBIfRecv = 4
	optISBIfDrop = 5
	optISBOSDrop = 7
)

// OptionReader walks a pcapng option area without allocating. Use it as
//
//	it := p.OptionReader()
//	for it.Next() { use(it.Code(), it.Value()) }
//	if it.Malformed() { ... }
type OptionReader struct {
	b    []byte
	le   bool
	code uint16
	val  []byte
	bad  bool
}

// NewOptionReader reads the option area b written in the given byte order.
func NewOptionReader(b []byte, bigEndian bool) OptionReader {
	return OptionReader{b: b, le: !bigEndian}
}

// Next advances to the next option. It returns false at opt_endofopt, at the end of the
// area, or at an option whose length runs past the area (then Malformed is true).
func (it *OptionReader) Next() bool {
	if len(it.b) == 0 {
		return false
	}
	if len(it.b) < 4 {
		it.bad, it.b = true, nil
		return false
	}
	code, n := u16(it.b, it.le), int(u16(it.b[2:], it.le))
	if code == optEnd {
		it.b = nil
		return false
	}
	padded := (n + 3) &^ 3
	if 4+padded > len(it.b) {
		if 4+n > len(it.b) {
			it.bad, it.b = true, nil
			return false
		}
		padded = len(it.b) - 4 // tolerate missing padding on the last option
	}
	it.code, it.val = code, it.b[4:4+n:4+n]
	it.b = it.b[4+padded:]
	return true
}

// Code returns the current option's code.
func (it *OptionReader) Code() uint16 { return it.code }

// Value returns the current option's value (a view into the block).
func (it *OptionReader) Value() []byte { return it.val }

// Malformed reports whether the walk stopped at an option running past the area.
func (it *OptionReader) Malformed() bool { return it.bad }

// OptionReader returns a reader over the packet's pcapng options (empty for pcap and SPB).
func (p *Packet) OptionReader() OptionReader { return OptionReader{b: p.Options, le: p.optsLE} }

// Comment returns the packet's first opt_comment (a view with the lifetime of Data), or nil.
func (p *Packet) Comment() []byte {
	if len(p.Options) == 0 {
		return nil
	}
	it := p.OptionReader()
	for it.Next() {
		if it.code == optComment {
			return it.val
		}
	}
	return nil
}

// CommentCount returns how many opt_comment options the packet carries.
func (p *Packet) CommentCount() int {
	if len(p.Options) == 0 {
		return 0
	}
	n := 0
	it := p.OptionReader()
	for it.Next() {
		if it.code == optComment {
			n++
		}
	}
	return n
}

// optString turns an option value into a string, dropping trailing NULs some writers add.
func optString(v []byte) string {
	for len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	return string(v)
}
