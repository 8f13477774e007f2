package index

import (
	"cmp"
	"slices"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
)

func (b *Builder) writeFlows(flows []flowhash.Flow) error {
	t, err := b.w.NewTable(TableFlows, flowColumns, TableOptions{BlockRows: FlowBlockRows, TimeColumn: "ts", Background: true})
	if err != nil {
		return err
	}
	for i := range flows {
		f := &flows[i]
		c := t.Pending()
		oh, op := f.OrigEndpoint()
		rh, rp := f.RespEndpoint()
		fr := b.fl.At(i)
		vlan := b.ks.At(int(fr.key)).vlan
		c[0].I64 = append(c[0].I64, f.FirstTS)
		c[1].I64 = append(c[1].I64, f.LastTS)
		c[2].I64 = append(c[2].I64, int64(f.FirstFrame))
		c[3].U8 = append(c[3].U8, f.Key.Proto)
		c[4].U8 = append(c[4].U8, f.Key.IPVersion)
		c[5].Addr = append(c[5].Addr, *oh)
		c[6].U16 = append(c[6].U16, op)
		c[7].Addr = append(c[7].Addr, *rh)
		c[8].U16 = append(c[8].U16, rp)
		c[9].U16 = append(c[9].U16, vlan)
		c[10].I64 = append(c[10].I64, int64(f.OrigPkts))
		c[11].I64 = append(c[11].I64, int64(f.RespPkts))
		c[12].I64 = append(c[12].I64, int64(f.OrigBytes))
		c[13].I64 = append(c[13].I64, int64(f.RespBytes))
		c[14].I64 = append(c[14].I64, int64(f.OrigIPBytes))
		c[15].I64 = append(c[15].I64, int64(f.RespIPBytes))
		c[16].U8 = append(c[16].U8, uint8(f.ConnState))
		c[17].Bytes = append(c[17].Bytes, f.Hist[:min(int(f.HistLen), len(f.Hist))])
		c[18].U16 = append(c[18].U16, fr.flags)
		tc := &f.TCP
		c[19].I64 = append(c[19].I64, tc.SynRTT)
		c[20].I64 = append(c[20].I64, tc.AckRTT)
		c[21].I64 = append(c[21].I64, tc.RTTMin)
		c[22].I64 = append(c[22].I64, tc.RTTAvg)
		c[23].I64 = append(c[23].I64, tc.RTTMax)
		c[24].U32 = append(c[24].U32, tc.Retransmissions)
		c[25].U32 = append(c[25].U32, tc.FastRetransmissions)
		c[26].U32 = append(c[26].U32, tc.SpuriousRetransmissions)
		c[27].U32 = append(c[27].U32, tc.OutOfOrder)
		c[28].U32 = append(c[28].U32, tc.DupAcks)
		c[29].U32 = append(c[29].U32, tc.ZeroWindows)
		c[30].U32 = append(c[30].U32, tc.LostSegments)
		c[31].U32 = append(c[31].U32, tc.AckedUnseen)
		c[32].U16 = append(c[32].U16, tc.MSS[0])
		c[33].U16 = append(c[33].U16, tc.MSS[1])
		ws0, ws1 := uint8(0xff), uint8(0xff)
		if f.Key.Proto == fastparse.ProtoTCP {
			ws0, ws1 = uint8(tc.WScale[0]), uint8(tc.WScale[1])
		}
		c[34].U8 = append(c[34].U8, ws0)
		c[35].U8 = append(c[35].U8, ws1)
		c[36].U8 = append(c[36].U8, f.ICMPType)
		c[37].U8 = append(c[37].U8, f.ICMPCode)
		c[38].U8 = append(c[38].U8, b2u8(f.HasL4))
		c[39].U32 = append(c[39].U32, fr.first)
		c[40].U32 = append(c[40].U32, fr.last)
		if t.Full() {
			if err := t.Flush(); err != nil {
				return err
			}
		}
	}
	return t.Close()
}

func b2u8(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

func (b *Builder) writeEvents(events []flowhash.Event) error {
	t, err := b.w.NewTable(TableEvents, eventColumns, TableOptions{BlockRows: PacketBlockRows, TimeColumn: "ts", Background: true})
	if err != nil {
		return err
	}
	for i := range events {
		e := &events[i]
		c := t.Pending()
		c[0].I64 = append(c[0].I64, int64(e.Frame))
		c[1].I64 = append(c[1].I64, e.TS)
		c[2].U32 = append(c[2].U32, uint32(e.FlowID))
		c[3].U8 = append(c[3].U8, uint8(e.Type))
		c[4].U8 = append(c[4].U8, b2u8(e.FromOrig))
		c[5].I64 = append(c[5].I64, e.Detail)
		if t.Full() {
			if err := t.Flush(); err != nil {
				return err
			}
		}
	}
	return t.Close()
}

func (b *Builder) writeSeries() error {
	slices.SortFunc(b.secs, func(x, y secCount) int { return cmp.Compare(x.sec, y.sec) })
	t, err := b.w.NewTable(TableSeries, seriesColumns, TableOptions{BlockRows: PacketBlockRows, TimeColumn: "sec"})
	if err != nil {
		return err
	}
	for _, s := range b.secs {
		c := t.Pending()
		c[0].I64 = append(c[0].I64, s.sec)
		c[1].I64 = append(c[1].I64, s.pkts)
		c[2].I64 = append(c[2].I64, s.bytes)
		c[3].I64 = append(c[3].I64, s.flows)
		c[4].I64 = append(c[4].I64, s.events)
		if t.Full() {
			if err := t.Flush(); err != nil {
				return err
			}
		}
	}
	return t.Close()
}
