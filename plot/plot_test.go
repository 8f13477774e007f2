package plot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapdex/pcapdex/internal/testcorpus"
	"github.com/pcapdex/pcapdex/query"
)

func open(t *testing.T, src string) (query.Store, query.Selection) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Skipf("%s: %v", src, err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := query.Open([]string{p}, query.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	sel, err := in.Select(nil, query.NoSince, query.NoUntil)
	if err != nil {
		t.Fatal(err)
	}
	return in.Store, sel
}

// checkSVG parses the document whole and returns its root's width attribute.
func checkSVG(t *testing.T, b []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var root xml.StartElement
	elems := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if elems == 0 {
				root = se
			}
			elems++
		}
	}
	if root.Name.Local != "svg" || elems < 10 {
		t.Fatalf("root <%s>, %d elements: not a drawn SVG", root.Name.Local, elems)
	}
	for _, a := range root.Attr {
		if a.Name.Local == "width" {
			return a.Value
		}
	}
	return ""
}

func TestEveryKindSVGAndPNG(t *testing.T) {
	sources := []string{"../testdata/sample.pcapng"}
	if dir, err := testcorpus.Find(); err == nil {
		sources = append(sources, filepath.Join(dir, "example.pcap"))
	} else {
		t.Logf("corpus: %v", err)
	}
	for _, src := range sources {
		st, sel := open(t, src)
		for _, name := range KindNames() {
			k, err := ParseKind(name)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(filepath.Base(src)+"/"+name, func(t *testing.T) {
				var svg, img bytes.Buffer
				o := Options{Kind: k, Format: SVG, Width: 800, Height: 400}
				if err := Render(&svg, st, sel, o); err != nil {
					t.Fatal(err)
				}
				if w := checkSVG(t, svg.Bytes()); w != "600pt" && w != "800px" && w != "800" {
					t.Errorf("SVG width %q, want 800 px (600 pt)", w)
				}
				o.Format = PNG
				if err := Render(&img, st, sel, o); err != nil {
					t.Fatal(err)
				}
				m, err := png.Decode(bytes.NewReader(img.Bytes()))
				if err != nil {
					t.Fatalf("PNG does not decode: %v", err)
				}
				wantH := 400
				if k == Activity {
					wantH = 0 // 130 px a day
				}
				if b := m.Bounds(); b.Dx() != 800 || wantH != 0 && b.Dy() != wantH || b.Dy() < 100 {
					t.Errorf("PNG %dx%d, want 800x%d", b.Dx(), b.Dy(), wantH)
				}
				for what, n := range map[string]int{"svg": svg.Len(), "png": img.Len()} {
					if n < 2000 || n > 5<<20 {
						t.Errorf("%s of %d bytes: empty or runaway", what, n)
					}
				}
				// A drawn image has more than a couple of colours.
				colours := map[[4]uint32]bool{}
				for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y += 3 {
					for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x += 3 {
						r, g, b, a := m.At(x, y).RGBA()
						colours[[4]uint32{r, g, b, a}] = true
					}
				}
				if len(colours) < 4 {
					t.Errorf("PNG has %d colours: nothing drawn", len(colours))
				}
			})
		}
	}
}

func TestParseKindAndEmpty(t *testing.T) {
	if _, err := ParseKind("pie"); err == nil || !strings.Contains(err.Error(), "timeline") {
		t.Errorf("ParseKind(pie) = %v, want an error listing the kinds", err)
	}
	st, _ := open(t, "../testdata/sample.pcapng")
	empty := query.Selection{Since: 1, Until: 2} // 1970: nothing there
	for _, k := range []Kind{Timeline, Activity, Sizes, Events} {
		if err := Render(io.Discard, st, empty, Options{Kind: k}); !errors.Is(err, ErrNoData) {
			t.Errorf("%v of an empty window: %v, want ErrNoData", k, err)
		}
	}
	var none query.Selection
	none.Since, none.Until = query.NoSince, query.NoUntil
	if err := Render(io.Discard, st, none, Options{Kind: Seq, Flow: 1 << 30}); err == nil {
		t.Error("seq of a flow that does not exist: no error")
	}
}
