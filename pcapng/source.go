package pcapng

import (
	"io"
)

// The reader sees its input as one window of bytes, buf[pos:end], at stream offset base+pos.
// On the mapped path the window is the whole file (base 0) and never moves. On the plain-read
// path (pipes, stdin, compressed input, NoMmap) it is a reused buffer refilled from src; bytes
// before pos may be overwritten by the next fill.

const (
	streamBufSize = 1 << 20   // initial plain-read window
	maxPacketLen  = 256 << 10 // largest captured length accepted for one packet record
	maxMetaBlock  = 16 << 20  // largest SHB/IDB/NRB/ISB parsed; bigger ones are format errors
)

// avail returns how many bytes the window holds from the cursor on.
func (r *Reader) avail() int { return r.end - r.pos }

// peek returns the next n bytes without consuming them. ok is false when fewer than n bytes
// remain before the end of the input (the caller decides between io.EOF and truncation by
// looking at r.avail() afterwards). n must not exceed maxMetaBlock+maxPacketLen.
func (r *Reader) peek(n int) (b []byte, ok bool) {
	if w := r.buf[r.pos:r.end]; n <= len(w) {
		return w[:n], true
	}
	return r.peekSlow(n)
}

// peekSlow is peek's refill path, kept apart so peek inlines.
//
//go:noinline
func (r *Reader) peekSlow(n int) ([]byte, bool) {
	if r.src == nil {
		return nil, false
	}
	return r.fill(n)
}

// fill makes the window hold at least n bytes from the cursor, reading from src.
func (r *Reader) fill(n int) ([]byte, bool) {
	if r.pos > 0 {
		copy(r.buf, r.buf[r.pos:r.end])
		r.end -= r.pos
		r.base += int64(r.pos)
		r.pos = 0
	}
	for r.end < n && r.srcErr == nil {
		if r.end == len(r.buf) {
			// Grow step by step as bytes actually arrive, so a length field that lies
			// cannot make the reader allocate more than twice what the input holds.
			nb := make([]byte, min(max(n, len(r.buf)), 2*len(r.buf)))
			copy(nb, r.buf[:r.end])
			r.buf = nb
		}
		r.read(r.buf[r.end:])
	}
	if r.end < n {
		return nil, false
	}
	return r.buf[:n], true
}

// skip consumes n bytes, reading and discarding them on the plain-read path. It reports
// false when the input ends first (the cursor is then at the end).
func (r *Reader) skip(n int64) bool {
	if n <= int64(r.end-r.pos) {
		r.pos += int(n)
		return true
	}
	if r.src == nil {
		r.pos = r.end
		return false
	}
	n -= int64(r.end - r.pos)
	r.base += int64(r.end)
	r.pos, r.end = 0, 0
	for n > 0 {
		if r.srcErr != nil {
			return false
		}
		want := len(r.buf)
		if int64(want) > n {
			want = int(n)
		}
		m := r.read(r.buf[:want]) // counted into end (0 before): discard them
		r.end = 0
		r.base += int64(m)
		n -= int64(m)
	}
	return true
}

// offset is the stream offset of the cursor.
func (r *Reader) offset() int64 { return r.base + int64(r.pos) }

// srcFailed reports a read error other than the end of the input.
func (r *Reader) srcFailed() error {
	if r.srcErr != nil && r.srcErr != io.EOF {
		return r.srcErr
	}
	return nil
}

// read reads once from src into b (which starts at buf[end]), counting the bytes into end.
// A reader that keeps returning 0 bytes and no error gets io.ErrNoProgress.
func (r *Reader) read(b []byte) int {
	for range 100 {
		m, err := r.src.Read(b)
		r.end += m
		if err != nil {
			r.srcErr = err
		}
		if m > 0 || err != nil {
			return m
		}
	}
	r.srcErr = io.ErrNoProgress
	return 0
}

// touchAhead is how far ahead of the cursor the mapped path reads one byte per cache line.
// Following packet headers through memory is a chain of dependent loads, one cache miss per
// packet (about 100 ns); touching the lines ahead in address order turns that into a
// sequential stream the CPU fetches in parallel and its prefetchers recognise.
const touchAhead = 8 << 10

// touch reads one byte per 64-byte line up to touchAhead bytes past the cursor.
func (r *Reader) touch() {
	lim := min(r.pos+touchAhead, r.end)
	if r.pf >= lim {
		return
	}
	pf, acc := max(r.pf, r.pos), byte(0)
	b := r.buf[:lim]
	for ; pf < len(b); pf += 64 {
		acc |= b[pf]
	}
	r.pf, r.touched = pf, r.touched|acc
	r.publish()
}
