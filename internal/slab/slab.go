// Package slab holds values in fixed pages addressed by an index, for the per-flow and
// per-key state of flowhash and index: growing never copies what is held (a pointer to a
// value stays valid while the container lives), and an int32 index costs 4 bytes where a
// pointer costs 8 and a GC scan.
package slab

// A page holds PageSize values.
const (
	PageBits = 10
	PageSize = 1 << PageBits
	pageMask = PageSize - 1
)

// Pool is a paged pool of T with a free list: Alloc reuses released indexes first. The zero
// value is an empty pool.
type Pool[T any] struct {
	pages [][]T
	n     int32 // indexes handed out so far (released ones included)
	free  []int32
}

// At returns the value at index i, which Alloc returned.
func (s *Pool[T]) At(i int32) *T { return &s.pages[i>>PageBits][i&pageMask] }

// Alloc returns the index of a zeroed value.
func (s *Pool[T]) Alloc() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		var zero T
		*s.At(i) = zero
		return i
	}
	if s.n&pageMask == 0 {
		s.pages = append(s.pages, make([]T, PageSize))
	}
	s.n++
	return s.n - 1
}

// Release gives index i back for reuse.
func (s *Pool[T]) Release(i int32) { s.free = append(s.free, i) }

// List is an append-only list of T in fixed pages. The zero value is an empty list.
type List[T any] struct {
	pages [][]T
	n     int
}

// Len returns the number of values added.
func (p *List[T]) Len() int { return p.n }

// At returns the value at index i < Len().
func (p *List[T]) At(i int) *T { return &p.pages[i>>PageBits][i&pageMask] }

// Add appends a zero value and returns it.
func (p *List[T]) Add() *T {
	if p.n&pageMask == 0 {
		p.pages = append(p.pages, make([]T, PageSize))
	}
	p.n++
	return p.At(p.n - 1)
}

// AppendTo appends every value, in order, to dst.
func (p *List[T]) AppendTo(dst []T) []T {
	for i, pg := range p.pages {
		dst = append(dst, pg[:min(PageSize, p.n-i*PageSize)]...)
	}
	return dst
}
