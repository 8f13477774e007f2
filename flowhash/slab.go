package flowhash

// Flow states, TCP states and the rarer records hanging off them live in slabs: fixed pages
// of pageSize values addressed by an int32 index, so growing never copies (a pointer to a
// value stays valid while the table lives) and an index costs 4 bytes where a pointer costs
// 8 and a GC scan.
const (
	pageBits = 10
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

// slab is a paged pool of T with a free list: alloc reuses released indexes first.
type slab[T any] struct {
	pages [][]T
	n     int32 // indexes handed out so far (released ones included)
	free  []int32
}

// at returns the value at index i.
func (s *slab[T]) at(i int32) *T { return &s.pages[i>>pageBits][i&pageMask] }

// alloc returns the index of a zeroed value.
func (s *slab[T]) alloc() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		var zero T
		*s.at(i) = zero
		return i
	}
	if s.n&pageMask == 0 {
		s.pages = append(s.pages, make([]T, pageSize))
	}
	s.n++
	return s.n - 1
}

// release gives index i back for reuse.
func (s *slab[T]) release(i int32) { s.free = append(s.free, i) }

// paged is an append-only list in fixed pages: growing it never copies what it holds.
type paged[T any] struct {
	pages [][]T
	n     int
}

func (p *paged[T]) len() int { return p.n }

func (p *paged[T]) at(i int) *T { return &p.pages[i>>pageBits][i&pageMask] }

// add appends a zero element and returns it.
func (p *paged[T]) add() *T {
	if p.n&pageMask == 0 {
		p.pages = append(p.pages, make([]T, pageSize))
	}
	p.n++
	return p.at(p.n - 1)
}

// appendTo appends every element to dst.
func (p *paged[T]) appendTo(dst []T) []T {
	for i, pg := range p.pages {
		dst = append(dst, pg[:min(pageSize, p.n-i*pageSize)]...)
	}
	return dst
}
