// Package plot draws one chart of a capture as an SVG or PNG image (pcapdex plot), with
// gonum.org/v1/plot: the I/O timeline, per-minute activity by UTC day, frame sizes, top
// talkers, a flow's time-sequence graph, its receive window, its RTT samples, and the
// event timeline. The numbers come from the query package (Timeline, Gaps, Sizes, Top,
// Flows, Events) and, for one flow, report.FlowSeries, as the HTML report draws them.
package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/flowhash"
	"github.com/pcapdex/pcapdex/query"
	"github.com/pcapdex/pcapdex/report"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Kind is a chart kind.
type Kind uint8

const (
	Timeline Kind = iota // packets/s per bucket, silent intervals shaded, retransmissions and resets marked
	Activity             // packets per minute, one row per UTC day
	Sizes                // frame size histogram with its CDF
	Top                  // top hosts by bytes
	Seq                  // a flow's time-sequence graph
	Window               // a flow's receive window with its dips and the ACK line
	RTT                  // a flow's ACK RTT samples
	Events               // TCP analysis events: flow against time, by type
	numKinds
)

var kindNames = [numKinds]string{"timeline", "activity", "sizes", "top", "seq", "window", "rtt", "events"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// KindNames returns the kinds' names.
func KindNames() []string { return slices.Clone(kindNames[:]) }

// ParseKind parses a kind name.
func ParseKind(s string) (Kind, error) {
	if i := slices.Index(kindNames[:], s); i >= 0 {
		return Kind(i), nil
	}
	return 0, fmt.Errorf("unknown chart kind %q (%s)", s, strings.Join(kindNames[:], ", "))
}

// Format is an image format.
type Format uint8

const (
	SVG Format = iota
	PNG
)

// Options configure Render.
type Options struct {
	Kind   Kind
	Format Format
	Width  int    // pixels (0: 1000)
	Height int    // pixels (0: 500; activity: 90 per day)
	Title  string // "" : the kind's own
	// Flow is the flow of seq, window and rtt (0: the TCP flow carrying data with the most
	// retransmissions, else the one with the most bytes).
	Flow uint64
	// Bucket is the timeline's bucket (0: report.BucketFor the span).
	Bucket time.Duration
	TopN   int // top: bars (0: 20)
}

// MaxDays bounds the rows of the activity chart.
const MaxDays = 14

// ErrNoData is returned when the selection holds nothing to draw.
var ErrNoData = errors.New("nothing to draw")

// Render draws the chart o asks for from st and sel and writes the image to w.
func Render(w io.Writer, st query.Store, sel query.Selection, o Options) error {
	if o.Width <= 0 {
		o.Width = 1000
	}
	if o.Height <= 0 {
		o.Height = 500
	}
	var p *gplot.Plot
	var err error
	switch o.Kind {
	case Timeline:
		p, err = timeline(st, sel, o)
	case Activity:
		return activity(w, st, sel, o)
	case Sizes:
		p, err = sizes(st, sel)
	case Top:
		p, err = top(st, sel, o)
	case Seq, Window, RTT:
		p, err = flowChart(st, sel, o)
	case Events:
		p, err = events(st, sel)
	default:
		return fmt.Errorf("plot: kind %v", o.Kind)
	}
	if err != nil {
		return err
	}
	if o.Title != "" {
		p.Title.Text = o.Title
	}
	return write(w, o, px(o.Width), px(o.Height), func(c draw.Canvas) { p.Draw(c) })
}

// px converts pixels (at 96 dpi) to vg lengths.
func px(n int) vg.Length { return vg.Length(n) * vg.Inch / 96 }

// write draws with fn on a canvas of the format and writes it out.
func write(w io.Writer, o Options, width, height vg.Length, fn func(draw.Canvas)) error {
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch o.Format {
	case SVG:
		c = vgsvg.New(width, height)
	case PNG:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))}
	default:
		return fmt.Errorf("plot: format %d", o.Format)
	}
	fn(draw.New(c))
	_, err := c.WriteTo(w)
	return err
}

var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff}, color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x7f, 0x7f, 0x7f, 0xff},
}

func newPlot(title, x, y string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Add(plotter.NewGrid())
	return p
}

// utcTicks labels a time axis (Unix seconds) in UTC, the layout chosen from the span.
func utcTicks(span float64) gplot.TimeTicks {
	f := "15:04:05"
	switch {
	case span > 3*86400:
		f = "2006-01-02"
	case span > 86400:
		f = "01-02 15:04"
	case span < 10:
		f = "15:04:05.000"
	}
	return gplot.TimeTicks{Format: f, Time: gplot.UnixTimeIn(time.UTC)}
}

func line(xy plotter.XYs, c int, width vg.Length) *plotter.Line {
	l, _ := plotter.NewLine(xy)
	l.LineStyle.Color, l.LineStyle.Width = palette[c%len(palette)], width
	return l
}

func dots(xy plotter.XYs, c int, r vg.Length) *plotter.Scatter {
	s, _ := plotter.NewScatter(xy)
	s.GlyphStyle.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = palette[c%len(palette)], r, draw.CircleGlyph{}
	return s
}

func xys(x, y []float64) plotter.XYs {
	out := make(plotter.XYs, 0, len(x))
	for i := range x {
		out = append(out, plotter.XY{X: x[i], Y: y[i]})
	}
	return out
}

func timeline(st query.Store, sel query.Selection, o Options) (*gplot.Plot, error) {
	first, last := st.Span()
	bucket := o.Bucket
	if bucket == 0 {
		bucket = report.BucketFor(min(last, sel.Until) - max(first, sel.Since))
	}
	tl, err := query.Timeline(st, sel, query.TimelineOptions{Bucket: bucket})
	if err != nil {
		return nil, err
	}
	if len(tl.Packets) == 0 {
		return nil, ErrNoData
	}
	gaps, err := query.Gaps(st, sel, max(bucket*2, time.Second))
	if err != nil {
		return nil, err
	}
	bs := bucket.Seconds()
	x, y := make([]float64, len(tl.Packets)), make([]float64, len(tl.Packets))
	for i, n := range tl.Packets {
		x[i], y[i] = float64(tl.Start(i))/1e9, float64(n)/bs
	}
	p := newPlot(fmt.Sprintf("packets/s per %v bucket", bucket), "time (UTC)", "packets/s")
	p.X.Tick.Marker = utcTicks(x[len(x)-1] - x[0])
	top := slices.Max(y)
	for _, g := range gaps { // silent intervals, shaded
		poly, err := plotter.NewPolygon(plotter.XYs{{X: float64(g.Start) / 1e9, Y: 0}, {X: float64(g.End) / 1e9, Y: 0},
			{X: float64(g.End) / 1e9, Y: top}, {X: float64(g.Start) / 1e9, Y: top}})
		if err == nil {
			poly.Color, poly.LineStyle.Width = color.NRGBA{0xbb, 0xbb, 0xbb, 0x70}, 0
			p.Add(poly)
		}
	}
	l := line(xys(x, y), 0, vg.Points(1))
	p.Add(l)
	p.Legend.Add("packets/s", l)
	// Retransmissions and resets at their instants, along the top.
	marks := map[flowhash.EventType]plotter.XYs{}
	for e, err := range query.Events(st, sel, query.EventsOptions{Types: []flowhash.EventType{flowhash.EvRetransmission, flowhash.EvRST, flowhash.EvZeroWindow}}) {
		if err != nil {
			return nil, err
		}
		if len(marks[e.Type]) < 4000 {
			marks[e.Type] = append(marks[e.Type], plotter.XY{X: float64(e.TS) / 1e9, Y: top * 1.02})
		}
	}
	for i, t := range []flowhash.EventType{flowhash.EvRetransmission, flowhash.EvRST, flowhash.EvZeroWindow} {
		if len(marks[t]) > 0 {
			s := dots(marks[t], 3+i, vg.Points(2))
			p.Add(s)
			p.Legend.Add(t.String(), s)
		}
	}
	p.Legend.Top = true
	p.Y.Min, p.Y.Max = 0, top*1.3 // room above the peaks for the legend
	return p, nil
}

func sizes(st query.Store, sel query.Selection) (*gplot.Plot, error) {
	s, err := query.Sizes(st, sel)
	if err != nil {
		return nil, err
	}
	if s.Packets == 0 {
		return nil, ErrNoData
	}
	bins := s.Histogram()
	vals := make(plotter.Values, len(bins))
	names := make([]string, len(bins))
	cdf := make(plotter.XYs, len(bins))
	for i, b := range bins {
		vals[i] = b.Fraction * 100
		names[i] = fmt.Sprint(b.Lo, "-", b.Hi)
		if b.Open {
			names[i] = fmt.Sprint(b.Lo, "+")
		}
		cdf[i] = plotter.XY{X: float64(i), Y: b.CDF * 100}
	}
	p := newPlot(fmt.Sprintf("frame sizes: p25 %d, p50 %d, p75 %d, p90 %d, p99 %d bytes (%d packets)", s.P25, s.P50, s.P75, s.P90, s.P99, s.Packets),
		"frame length (bytes)", "% of packets")
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return nil, err
	}
	bars.Color, bars.LineStyle.Width = palette[0], 0
	p.Add(bars)
	l := line(cdf, 1, vg.Points(1.5))
	p.Add(l)
	p.Legend.Add("packets %", bars)
	p.Legend.Add("CDF %", l)
	p.Legend.Top, p.Legend.Left = true, true
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, 100
	return p, nil
}

func top(st query.Store, sel query.Selection, o Options) (*gplot.Plot, error) {
	n := o.TopN
	if n <= 0 {
		n = 20
	}
	rows, err := query.Top(st, sel, query.TopOptions{By: query.TopHost, Metric: query.TopBytes, N: n})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNoData
	}
	slices.Reverse(rows) // the largest on top
	vals := make(plotter.Values, len(rows))
	names := make([]string, len(rows))
	for i, r := range rows {
		vals[i], names[i] = float64(r.Bytes)/1e6, r.Addr.String()
	}
	p := newPlot(fmt.Sprintf("top %d hosts by IP bytes (either end)", len(rows)), "MB", "")
	bars, err := plotter.NewBarChart(vals, vg.Points(10))
	if err != nil {
		return nil, err
	}
	bars.Horizontal, bars.Color, bars.LineStyle.Width = true, palette[0], 0
	p.Add(bars)
	p.NominalY(names...)
	return p, nil
}

// pickFlow returns o.Flow, or the TCP flow carrying data with the most retransmissions
// (among the 1,000 with the most), else the TCP flow with the most bytes.
func pickFlow(st query.Store, sel query.Selection, o Options) (uint64, error) {
	if o.Flow != 0 {
		return o.Flow, nil
	}
	need := query.NeedFlowColumns("retransmissions", "orig_bytes", "resp_bytes", "orig_ip_bytes", "resp_ip_bytes")
	for _, sort := range []query.FlowSort{query.SortRetransmissions, query.SortBytes} {
		for f, err := range query.Flows(st, sel, query.FlowsOptions{Sort: sort, Limit: 1000, Need: need}) {
			if err != nil {
				return 0, err
			}
			if f.Key.Proto == fastparse.ProtoTCP && f.OrigBytes+f.RespBytes > 0 {
				return f.ID, nil
			}
		}
	}
	return 0, ErrNoData
}

func flowChart(st query.Store, sel query.Selection, o Options) (*gplot.Plot, error) {
	id, err := pickFlow(st, sel, o)
	if err != nil {
		return nil, err
	}
	fl, err := report.FlowSeries(st, sel, id, o.Width)
	if err != nil {
		return nil, err
	}
	if !fl.Found {
		return nil, fmt.Errorf("flow %d is not in the selection", id)
	}
	name := fmt.Sprintf("flow %d %s:%d → %s:%d", id, fl.Orig, fl.OrigPort, fl.Resp, fl.RespPort)
	const x = "seconds since the flow's first packet"
	var p *gplot.Plot
	drawn := 0
	add := func(s report.Series, c int, label string, asDots bool) {
		if len(s.X) == 0 {
			return
		}
		drawn++
		if asDots {
			d := dots(xys(s.X, s.Y), c, vg.Points(1.5))
			p.Add(d)
			p.Legend.Add(label, d)
			return
		}
		l := line(xys(s.X, s.Y), c, vg.Points(1))
		p.Add(l)
		p.Legend.Add(label, l)
	}
	switch o.Kind {
	case Seq:
		p = newPlot("time-sequence graph: "+name, x, "relative sequence number")
		add(fl.Win, 1, "ACK + window", false)
		add(fl.Ack, 2, "ACK", false)
		add(fl.Seq, 0, "segment end", true)
		add(fl.Retrans, 3, "retransmission", true)
	case Window:
		p = newPlot("receive window: "+name, x, "bytes")
		add(fl.RWin, 2, "receive window", false)
		add(fl.Dips, 3, "dip", true)
		add(fl.InFlight, 1, "bytes in flight", false)
	case RTT:
		p = newPlot("ACK RTT: "+name, x, "ms")
		add(fl.RTT, 4, "RTT sample", true)
	}
	if drawn == 0 {
		return nil, fmt.Errorf("flow %d: %w", id, ErrNoData)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}

func events(st query.Store, sel query.Selection) (*gplot.Plot, error) {
	byType := map[flowhash.EventType]plotter.XYs{}
	var span [2]float64
	n := 0
	for e, err := range query.Events(st, sel, query.EventsOptions{}) {
		if err != nil {
			return nil, err
		}
		t := float64(e.TS) / 1e9
		if n == 0 {
			span = [2]float64{t, t}
		}
		span[0], span[1] = min(span[0], t), max(span[1], t)
		n++
		if len(byType[e.Type]) < 4000 {
			byType[e.Type] = append(byType[e.Type], plotter.XY{X: t, Y: float64(e.FlowID)})
		}
	}
	if n == 0 {
		return nil, ErrNoData
	}
	p := newPlot(fmt.Sprintf("%d TCP analysis events by flow", n), "time (UTC)", "flow id")
	p.X.Tick.Marker = utcTicks(span[1] - span[0])
	types := make([]flowhash.EventType, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}}
	for i, t := range types {
		d := dots(byType[t], i, vg.Points(2))
		d.GlyphStyle.Shape = shapes[i/len(palette)%len(shapes)] // a colour comes back with another shape
		p.Add(d)
		p.Legend.Add(t.String(), d)
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.X.Max = span[1] + (span[1]-span[0])*0.3 + 1e-3 // room on the right for the legend
	return p, nil
}

func activity(w io.Writer, st query.Store, sel query.Selection, o Options) error {
	sel, _ = report.ActivityWindow(st, sel, MaxDays)
	tl, err := query.Timeline(st, sel, query.TimelineOptions{Bucket: time.Minute})
	if err != nil {
		return err
	}
	if len(tl.Packets) == 0 {
		return ErrNoData
	}
	var plots [][]*gplot.Plot
	for i := 0; i < len(tl.Packets) && len(plots) < MaxDays; {
		start := tl.Start(i)
		d0 := start - ((start%86400e9)+86400e9)%86400e9
		vals := make(plotter.Values, 1440)
		for m := int((start - d0) / 60e9); m < 1440 && i < len(tl.Packets); m, i = m+1, i+1 {
			vals[m] = float64(tl.Packets[i])
		}
		p := newPlot(time.Unix(0, d0).UTC().Format("2006-01-02")+" (UTC)", "", "packets/min")
		p.Title.TextStyle.Font.Size = vg.Points(9)
		bars, err := plotter.NewBarChart(vals, px(o.Width)/1500)
		if err != nil {
			return err
		}
		bars.Color, bars.LineStyle.Width = palette[0], 0
		p.Add(bars)
		p.X.Min, p.X.Max = 0, 1440
		p.X.Tick.Marker = gplot.TickerFunc(func(min, max float64) []gplot.Tick {
			var t []gplot.Tick
			for h := 0; h <= 24; h += 2 {
				t = append(t, gplot.Tick{Value: float64(h * 60), Label: fmt.Sprintf("%02d:00", h)})
			}
			return t
		})
		plots = append(plots, []*gplot.Plot{p})
	}
	height := o.Height
	if height == 500 || height <= 0 {
		height = 40 + 130*len(plots)
	}
	return write(w, o, px(o.Width), px(height), func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(4)}
		canvases := gplot.Align(plots, tiles, c)
		for i := range plots {
			plots[i][0].Draw(canvases[i][0])
		}
	})
}
