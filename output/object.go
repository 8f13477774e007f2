package output

// AppendLabel appends a "Label:" of a key: value report, padded with spaces to width
// columns (at least one space), as pcapdex info's table does; the value follows.
func AppendLabel(dst []byte, label string, width int) []byte {
	dst = append(append(dst, label...), ':')
	for i := len(label) + 1; i < width; i++ {
		dst = append(dst, ' ')
	}
	if len(label)+1 >= width {
		dst = append(dst, ' ')
	}
	return dst
}
