package output

import "testing"

func TestAppendLabel(t *testing.T) {
	for _, tc := range []struct {
		label string
		want  string
	}{
		{"Packets", "Packets:                  "},
		{"Snaplen-truncated frames", "Snaplen-truncated frames: "},
		{"A label longer than the width", "A label longer than the width: "},
	} {
		if got := string(AppendLabel(nil, tc.label, 26)); got != tc.want {
			t.Errorf("AppendLabel(%q) = %q, want %q", tc.label, got, tc.want)
		}
	}
}
