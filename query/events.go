package query

import (
	"fmt"
	"iter"
	"strings"

	"github.com/pcapdex/pcapdex/flowhash"
)

// EventsOptions configure Events.
type EventsOptions struct {
	Types []flowhash.EventType // nil: all
	Limit int                  // at most this many events (0: all)
}

// ParseEventTypes parses a comma-separated list of event type names.
func ParseEventTypes(s string) ([]flowhash.EventType, error) {
	var out []flowhash.EventType
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := false
		for t := flowhash.EventType(1); t.String() != "unknown"; t++ {
			if t.String() == name {
				out, found = append(out, t), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown event type %q", name)
		}
	}
	return out, nil
}

// Events returns the TCP analysis events of the selected flows in the window, in frame
// order. The *Event is reused: it is valid until the next iteration.
func Events(st Store, sel Selection, o EventsOptions) iter.Seq2[*flowhash.Event, error] {
	return func(yield func(*flowhash.Event, error) bool) {
		var want [256]bool
		for _, t := range o.Types {
			want[t] = true
		}
		rows, err := sel.FlowRows(st)
		if err != nil {
			yield(nil, err)
			return
		}
		n, stopped := 0, false
		err = st.Events(rows, o.Types, func(e *flowhash.Event) error {
			if o.Types != nil && !want[e.Type] || !sel.inTime(e.TS) {
				return nil
			}
			if o.Limit > 0 && n >= o.Limit {
				return errStop
			}
			n++
			if !yield(e, nil) {
				stopped = true
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop && !stopped {
			yield(nil, err)
		}
	}
}
