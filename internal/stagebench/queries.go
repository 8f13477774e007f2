package stagebench

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/pcapdex/pcapdex/filter"
	"github.com/pcapdex/pcapdex/index"
	"github.com/pcapdex/pcapdex/output"
	"github.com/pcapdex/pcapdex/query"
)

// querySpec is one representative query.
type querySpec struct {
	name   string
	filter string // "" for the timeline
}

// Fixed filters; the host and port ones are picked from the index (pickQueries).
const (
	filterSlowHandshake = "syn_rtt > 300ms"
	filterRetrans       = "retransmissions > 0"
	filterBigFlows      = "bytes > 10KB" // a scan: the threshold falls inside most blocks' min..max
)

// timelineBucket is the width of the timeline query's buckets.
const timelineBucket = 60 // seconds

// queries runs each representative query QueryRepeat times on the index (built now, untimed,
// when the index stage did not run).
func (b *bench) queries() error {
	if b.idx == "" {
		if err := b.index(false); err != nil {
			return err
		}
	}
	specs, err := pickQueries(b.idx)
	if err != nil {
		return fmt.Errorf("stage query: %w", err)
	}
	for _, q := range specs {
		var fn func(*outcome) error
		detail := q.filter
		if q.filter == "" {
			detail = fmt.Sprintf("series table: packets and bytes per %d s", timelineBucket)
			fn = func(o *outcome) error { return b.timeline(o) }
		} else {
			filter := q.filter
			fn = func(o *outcome) error { return b.answer(filter, o) }
		}
		if err := b.stageN(StageQuery, "query/"+q.name, detail, 0, b.opt.QueryRepeat, fn); err != nil {
			return err
		}
	}
	return nil
}

// pickQueries returns the representative queries for the index at path: flows of the host
// with the most flows at one end (originator or responder postings), flows to the busiest
// responder port, a slow-handshake filter, a retransmission filter, a column scan over
// bytes, and the timeline. Host and port are left out when the index has no such flows.
func pickQueries(path string) ([]querySpec, error) {
	r, err := index.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var specs []querySpec
	host, ok, err := busiest(r, index.PostOrigAddr, index.PostRespAddr)
	if err != nil {
		return nil, err
	}
	if ok {
		if a, valid := netip.AddrFromSlice(host); valid {
			specs = append(specs, querySpec{"host", "orig host " + a.String() + " or resp host " + a.String()})
		}
	}
	port, ok, err := busiest(r, index.PostRespPort)
	if err != nil {
		return nil, err
	}
	if ok && len(port) == 2 {
		specs = append(specs, querySpec{"port", fmt.Sprintf("resp port %d", int(port[0])<<8|int(port[1]))})
	}
	specs = append(specs,
		querySpec{"syn_rtt", filterSlowHandshake},
		querySpec{"retrans", filterRetrans},
		querySpec{"bytes", filterBigFlows},
		querySpec{"timeline", ""})
	return specs, nil
}

// busiest returns the key whose bitmap holds the most flows over the named postings
// sections (a copy of the key; ties go to the first key in section order).
func busiest(r *index.Reader, names ...string) (key []byte, ok bool, err error) {
	var best uint64
	bm := roaring.New()
	for _, name := range names {
		if _, present := r.Lookup(name); !present {
			continue
		}
		p, err := r.Postings(name)
		if err != nil {
			return nil, false, err
		}
		for i := range p.Len() {
			if err := p.Bitmap(i, bm); err != nil {
				return nil, false, err
			}
			if c := bm.GetCardinality(); c > best {
				k, err := p.Key(i)
				if err != nil {
					return nil, false, err
				}
				best, key = c, append(key[:0], k...)
			}
		}
	}
	return key, best > 0, nil
}

// answer is one query as `pcapdex flows --format csv INDEX FILTER` runs it: open the index,
// parse and compile the filter, select the matching flows (postings and column scans), then
// write them with the same encoder the command uses, to a writer that only counts rows.
func (b *bench) answer(expr string, o *outcome) error {
	t0 := time.Now()
	r, err := index.Open(b.idx)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := filter.Parse(expr)
	if err != nil {
		return err
	}
	plan, err := query.Compile(n)
	if err != nil {
		return err
	}
	st, err := query.NewIndexStore(r)
	if err != nil {
		return err
	}
	sel, err := query.Select(st, plan, math.MinInt64, math.MaxInt64)
	if err != nil {
		return err
	}
	o.eval = time.Since(t0)
	var lines lineCounter
	cols := output.FlowColumns()
	flows := query.Flows(st, sel, query.FlowsOptions{Need: output.FlowColumnsNeed(cols)})
	if err := output.WriteFlows(&lines, output.Options{Format: output.FormatCSV}, cols, flows); err != nil {
		return err
	}
	got := int64(lines) - 1 // the header
	if card := int64(sel.Rows.GetCardinality()); got != card {
		return fmt.Errorf("%q: wrote %d flow rows for %d matches", expr, got, card)
	}
	o.packets, o.bytes, o.flows, o.matches = b.rep.Packets, b.rep.StreamBytes, b.idxFlow, got
	return nil
}

// lineCounter is an io.Writer that counts newlines and keeps nothing.
type lineCounter int

func (c *lineCounter) Write(p []byte) (int, error) {
	*c += lineCounter(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// timeline reads the series table (per-second packets and bytes) and sums it into
// timelineBucket-second buckets, as a timeline command would.
func (b *bench) timeline(o *outcome) error {
	r, err := index.Open(b.idx)
	if err != nil {
		return err
	}
	defer r.Close()
	t, err := r.Table(index.TableSeries)
	if err != nil {
		return err
	}
	cs, cp, cb := t.ColumnIndex("sec"), t.ColumnIndex("packets"), t.ColumnIndex("bytes")
	if cs < 0 || cp < 0 || cb < 0 {
		return fmt.Errorf("%s: series table lacks sec, packets or bytes", b.idx)
	}
	type bucket struct{ start, packets, bytes int64 }
	var (
		out         []bucket
		s           index.Scratch
		sec, pk, by index.Column
	)
	for blk := range t.NumBlocks() {
		if err := t.ReadColumn(blk, cs, &sec, &s); err != nil {
			return err
		}
		if err := t.ReadColumn(blk, cp, &pk, &s); err != nil {
			return err
		}
		if err := t.ReadColumn(blk, cb, &by, &s); err != nil {
			return err
		}
		if len(sec.I64) != len(pk.I64) || len(sec.I64) != len(by.I64) {
			return fmt.Errorf("%s: series block %d: columns of different lengths", b.idx, blk)
		}
		for i, v := range sec.I64 {
			start := v - v%timelineBucket
			if len(out) == 0 || out[len(out)-1].start != start {
				out = append(out, bucket{start: start})
			}
			out[len(out)-1].packets += pk.I64[i]
			out[len(out)-1].bytes += by.I64[i]
		}
	}
	o.packets, o.bytes, o.flows, o.matches = b.rep.Packets, b.rep.StreamBytes, b.idxFlow, int64(len(out))
	return nil
}
