package index

import (
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Codecs of a compressed unit: a table chunk, or a whole section (durable).
const (
	CodecNone uint8 = 0 // stored as is
	CodecZstd uint8 = 1 // one zstd frame
)

// MaxRawUnit bounds the decompressed size of one compressed unit (a chunk or a section).
// Part of the durable format: writers split data so that no unit exceeds it, readers refuse
// larger declared sizes.
const MaxRawUnit = 64 << 20

// minCompress is the smallest unit worth handing to zstd.
const minCompress = 64

// compressor wraps one long-lived zstd encoder. Not safe for concurrent use.
type compressor struct {
	enc *zstd.Encoder
}

func (c *compressor) init() error {
	if c.enc != nil {
		return nil
	}
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false), // the container checksums every unit
		zstd.WithZeroFrames(true),
	)
	if err != nil {
		return err
	}
	c.enc = enc
	return nil
}

func (c *compressor) close() {
	if c.enc != nil {
		c.enc.Close()
		c.enc = nil
	}
}

// appendUnit appends a compressed unit: codec byte, then for CodecZstd the uvarint raw length
// and the zstd frame, for CodecNone the raw bytes. zstd is kept only when it saves at least
// one byte in sixteen.
func (c *compressor) appendUnit(dst, raw []byte) []byte {
	if len(raw) >= minCompress && c.enc != nil {
		start := len(dst)
		dst = append(dst, CodecZstd)
		dst = AppendUvarint(dst, uint64(len(raw)))
		dst = c.enc.EncodeAll(raw, dst)
		if len(dst)-start < len(raw)-len(raw)/16 {
			return dst
		}
		dst = dst[:start]
	}
	dst = append(dst, CodecNone)
	return append(dst, raw...)
}

// decompressor wraps one long-lived zstd decoder, created on first use. DecodeAll is safe
// for concurrent use, so one decompressor serves every goroutine using a Reader.
type decompressor struct {
	once sync.Once
	dec  *zstd.Decoder
	err  error
}

func (d *decompressor) get() (*zstd.Decoder, error) {
	d.once.Do(func() {
		d.dec, d.err = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(2),
			zstd.WithDecoderMaxMemory(MaxRawUnit),
			zstd.WithDecoderMaxWindow(MaxRawUnit),
		)
	})
	return d.dec, d.err
}

func (d *decompressor) close() {
	if d.dec != nil {
		d.dec.Close()
	}
}

// decodeUnit decodes a unit written by appendUnit. For CodecNone it returns a view into src
// and buf unchanged; for CodecZstd it decompresses into buf[:0] and returns the result as
// both raw and buf (so the caller keeps any growth).
func (d *decompressor) decodeUnit(buf, src []byte) (raw, bufOut []byte, err error) {
	if len(src) < 1 {
		return nil, buf, errShort
	}
	switch src[0] {
	case CodecNone:
		return src[1:], buf, nil
	case CodecZstd:
		tail, n, err := UnmarshalUvarint(src[1:])
		if err != nil {
			return nil, buf, err
		}
		return d.decodeZstd(buf, tail, n)
	}
	return nil, buf, fmt.Errorf("unknown codec %d", src[0])
}

func (d *decompressor) decodeZstd(buf, frame []byte, n uint64) (raw, bufOut []byte, err error) {
	if n > MaxRawUnit {
		return nil, buf, fmt.Errorf("declared raw length %d exceeds limit %d", n, MaxRawUnit)
	}
	dec, err := d.get()
	if err != nil {
		return nil, buf, err
	}
	out, err := dec.DecodeAll(frame, slices.Grow(buf[:0], int(n)))
	if err != nil {
		return nil, buf, fmt.Errorf("zstd: %w", err)
	}
	if uint64(len(out)) != n {
		return nil, out, fmt.Errorf("raw length %d, want %d", len(out), n)
	}
	return out, out, nil
}
