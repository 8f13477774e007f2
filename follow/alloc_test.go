package follow

import (
	"encoding/binary"
	"testing"

	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/pcapng"
)

// TestEngineNoAllocsPerPacket: the rule engine allocates per new key and per alert, never
// per packet: ten times the packets over the same keys cost no more allocations.
func TestEngineNoAllocsPerPacket(t *testing.T) {
	rules, err := ParseRules("t", `
[[rule]]
name = "a"
filter = "tcp and (port 80 or net 10.0.0.0/8) and not host 10.9.9.9"
metric = "packets/s"
group_by = "host"
window = "5s"
warn = 1e12
[[rule]]
name = "b"
metric = "silence"
group_by = "pair"
warn = 1e12
`)
	if err != nil {
		t.Fatal(err)
	}
	capture := func(n int) []byte {
		b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
		b = binary.LittleEndian.AppendUint16(b, 2)
		b = binary.LittleEndian.AppendUint16(b, 4)
		b = binary.LittleEndian.AppendUint64(b, 0)
		b = binary.LittleEndian.AppendUint32(b, 65535)
		b = binary.LittleEndian.AppendUint32(b, 1)
		for i := range n {
			c := i % 20
			fr := tcpFrame([4]byte{10, 0, 0, byte(c)}, [4]byte{192, 168, 0, 1}, uint16(1000+c), 80, uint32(i*10), 0, 0x10, 10)
			ts := int64(i) * 1e6 // 1000 packets a second
			b = binary.LittleEndian.AppendUint32(b, uint32(1_700_000_000+ts/1e9))
			b = binary.LittleEndian.AppendUint32(b, uint32(ts%1e9/1000))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(fr)))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(fr)))
			b = append(b, fr...)
		}
		return b
	}
	allocs := func(data []byte) float64 {
		return testing.AllocsPerRun(2, func() {
			r, err := pcapng.NewBytesReader("t", data)
			if err != nil {
				t.Fatal(err)
			}
			eng := NewEngine(rules)
			if err := flowhash.NewPipeline(flowhash.Options{Workers: 1}, eng).Run(r); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Engine alone: subtract the pipeline's own cost measured without rules.
	small, big := allocs(capture(6000)), allocs(capture(60000))
	if per := (big - small) / 54000; per > 0.01 {
		t.Fatalf("%.3f allocations per packet (%v for 6000 packets, %v for 60000)", per, small, big)
	}
}
