package report

import "math"

// Decimate reduces the points (x[i], y[i]), x ascending, to what a chart cols pixels wide
// can show: x's range is cut into cols columns of equal width and each column keeps its
// first point's x order for the point with the smallest y and the one with the largest y
// (one point when they coincide). Every column's minimum and maximum therefore survive, so
// no spike or dip disappears, and at most 2*cols points remain. Series already that short
// come back unchanged. NaN y values (gaps) are dropped in reduced series.
func Decimate(x, y []float64, cols int) (dx, dy []float64) {
	n := min(len(x), len(y))
	if cols < 1 {
		cols = 1
	}
	if n <= 2*cols {
		return x[:n], y[:n]
	}
	lo, hi := x[0], x[n-1]
	width := (hi - lo) / float64(cols)
	if !(width > 0) {
		width = 1
	}
	dx, dy = make([]float64, 0, 2*cols), make([]float64, 0, 2*cols)
	for i := 0; i < n; {
		col := math.Floor((x[i] - lo) / width)
		iMin, iMax := -1, -1
		j := i
		for ; j < n && (math.Floor((x[j]-lo)/width) == col || col >= float64(cols-1)); j++ {
			if math.IsNaN(y[j]) {
				continue
			}
			if iMin < 0 || y[j] < y[iMin] {
				iMin = j
			}
			if iMax < 0 || y[j] > y[iMax] {
				iMax = j
			}
		}
		if j == i { // x not ascending: take the point alone
			j = i + 1
		}
		switch {
		case iMin < 0:
		case iMin == iMax:
			dx, dy = append(dx, x[iMin]), append(dy, y[iMin])
		case iMin < iMax:
			dx, dy = append(dx, x[iMin], x[iMax]), append(dy, y[iMin], y[iMax])
		default:
			dx, dy = append(dx, x[iMax], x[iMin]), append(dy, y[iMax], y[iMin])
		}
		i = j
	}
	return dx, dy
}
