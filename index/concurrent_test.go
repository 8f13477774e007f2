package index

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentRebuild has readers open, verify and read the index while a writer rebuilds
// it over and over with different contents. The rename is atomic, so every reader must see
// one complete generation: a table whose every value belongs to the same generation.
func TestConcurrentRebuild(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live.pcapdex")
	writeGen := func(gen uint32) error {
		w, err := Create(path)
		if err != nil {
			return err
		}
		defer w.Abort()
		tw, err := w.NewTable("t", []ColumnSpec{{"gen", KindUint32}, {"i", KindInt64}}, TableOptions{BlockRows: 100})
		if err != nil {
			return err
		}
		rows := 300 + int(gen%5)*100 // generations differ in size too
		for i := range rows {
			c := tw.Pending()
			c[0].U32 = append(c[0].U32, gen)
			c[1].I64 = append(c[1].I64, int64(i))
			if tw.Full() {
				if err := tw.Flush(); err != nil {
					return err
				}
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return w.Close()
	}
	if err := writeGen(0); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan error, 8)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var col Column
			var s Scratch
			for !stop.Load() {
				r, err := Open(path)
				if err != nil {
					errs <- err
					return
				}
				if err := r.Verify(); err != nil {
					errs <- err
					r.Close()
					return
				}
				tb, err := r.Table("t")
				if err != nil {
					errs <- err
					r.Close()
					return
				}
				gen := uint32(1 << 31)
				for b := range tb.NumBlocks() {
					if err := tb.ReadColumn(b, 0, &col, &s); err != nil {
						errs <- err
						break
					}
					for _, g := range col.U32 {
						if gen == 1<<31 {
							gen = g
						} else if g != gen {
							t.Errorf("mixed generations %d and %d in one file", gen, g)
						}
					}
				}
				if want := int64(300 + int(gen%5)*100); tb.NumRows() != want {
					t.Errorf("generation %d has %d rows, want %d", gen, tb.NumRows(), want)
				}
				r.Close()
				reads.Add(1)
			}
		}()
	}
	for gen := uint32(1); gen <= 40; gen++ {
		if err := writeGen(gen); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if reads.Load() == 0 {
		t.Error("readers never completed a read")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the index", len(ents))
	}
}
