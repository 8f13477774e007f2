package slab

import "testing"

func TestPool(t *testing.T) {
	var s Pool[[3]int64]
	var ids []int32
	for i := range 3*PageSize + 5 {
		id := s.Alloc()
		if id != int32(i) {
			t.Fatalf("Alloc %d returned %d", i, id)
		}
		*s.At(id) = [3]int64{int64(i), 1, 2}
		ids = append(ids, id)
	}
	p := s.At(7)
	for _, id := range ids {
		if v := *s.At(id); v[0] != int64(id) {
			t.Fatalf("At(%d) = %v", id, v)
		}
	}
	if p != s.At(7) {
		t.Fatal("growing moved a value")
	}
	s.Release(9)
	s.Release(PageSize + 1)
	if id := s.Alloc(); id != PageSize+1 || *s.At(id) != ([3]int64{}) {
		t.Fatalf("Alloc after Release = %d holding %v, want %d zeroed", id, *s.At(id), PageSize+1)
	}
	if id := s.Alloc(); id != 9 {
		t.Fatalf("second Alloc after Release = %d, want 9", id)
	}
	if id := s.Alloc(); id != int32(len(ids)) {
		t.Fatalf("Alloc with an empty free list = %d, want %d", id, len(ids))
	}
}

func TestList(t *testing.T) {
	for _, n := range []int{0, 1, PageSize - 1, PageSize, PageSize + 1, 2*PageSize + 3} {
		var l List[uint32]
		for i := range n {
			*l.Add() = uint32(i * 3)
		}
		if l.Len() != n {
			t.Fatalf("Len = %d, want %d", l.Len(), n)
		}
		got := l.AppendTo([]uint32{99})
		if len(got) != n+1 || got[0] != 99 {
			t.Fatalf("n=%d: AppendTo gave %d values, want %d after the existing one", n, len(got), n+1)
		}
		for i := range n {
			if got[i+1] != uint32(i*3) || *l.At(i) != uint32(i*3) {
				t.Fatalf("n=%d: value %d = %d / %d, want %d", n, i, got[i+1], *l.At(i), i*3)
			}
		}
	}
}

func TestNoAllocsInPage(t *testing.T) {
	var s Pool[int64]
	var l List[int64]
	s.Alloc()
	l.Add()
	if n := testing.AllocsPerRun(100, func() {
		*s.At(0)++
		*l.At(0)++
	}); n != 0 {
		t.Errorf("At allocates %v times", n)
	}
}
