package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/pcapdex/pcapdex/fastparse"
	"github.com/pcapdex/pcapdex/index"
)

// Warnings and the partial-result exit code are facts of a capture: the build finds them
// and the index keeps them (each capture's info object), so every answer says them again,
// whether it comes from a fresh build or from an index built long ago.

// captureNote is what reading one capture found that every answer from it must say.
type captureNote struct {
	Warnings  []string `json:"warnings"`
	Error     string   `json:"error"`
	Truncated bool     `json:"truncated"`
	Packets   uint64   `json:"packets"`
	Undecoded uint64   `json:"undecoded_link_packets"`
	// EventsNotKept are events beyond the per-flow cap (kept with a set's last capture).
	EventsNotKept uint64 `json:"events_not_kept"`
}

// notesFromBuild returns the notes of the captures res read.
func notesFromBuild(res *index.BuildResult) []captureNote {
	notes := make([]captureNote, len(res.Files))
	for i, f := range res.Files {
		notes[i] = captureNote{Warnings: f.Warnings, Error: f.Err, Truncated: f.Truncated,
			Packets: f.Packets, Undecoded: f.Decode.ByStatus[fastparse.UnknownLink]}
	}
	if len(notes) > 0 {
		notes[len(notes)-1].EventsNotKept = res.EventsDropped
	}
	return notes
}

// notesFromIndex returns the notes r keeps of its captures.
func notesFromIndex(r *index.Reader) ([]captureNote, error) {
	cs, err := r.Captures()
	if err != nil {
		return nil, err
	}
	notes := make([]captureNote, len(cs))
	for i, c := range cs {
		if len(c.Info) == 0 {
			continue
		}
		if err := json.Unmarshal(c.Info, &notes[i]); err != nil {
			return nil, fmt.Errorf("index %s: capture %d: info: %w", r.Path(), i+1, err)
		}
	}
	return notes, nil
}

// reportNotes writes each capture's warnings and error to stderr, prefixed with the
// command's name, and returns the exit code they call for: exitPartial when a capture was
// read only in part or holds packets of a link type the decoder does not know, exitInput
// when no packet at all could be decoded.
func reportNotes(cmd string, notes []captureNote, stderr io.Writer) int {
	code := exitOK
	var undecoded, packets uint64
	for _, n := range notes {
		for _, m := range n.Warnings {
			fmt.Fprintf(stderr, "pcapdex %s: warning: %s\n", cmd, m)
		}
		if n.Error != "" {
			fmt.Fprintf(stderr, "pcapdex %s: %s\n", cmd, n.Error)
		}
		if n.EventsNotKept > 0 {
			fmt.Fprintf(stderr, "pcapdex %s: warning: %s\n", cmd, index.EventsDroppedWarning(n.EventsNotKept))
		}
		if n.Truncated || n.Error != "" || n.Undecoded > 0 || n.EventsNotKept > 0 {
			code = exitPartial
		}
		undecoded += n.Undecoded
		packets += n.Packets
	}
	if packets > 0 && undecoded == packets {
		code = exitInput
	}
	return code
}

// worse returns the exit code that says more of two: a usage error, then an input that
// could not be read, then a partial result, then a tripped gate, then success.
func worse(a, b int) int {
	rank := func(c int) int {
		switch c {
		case exitUsage:
			return 4
		case exitInput:
			return 3
		case exitPartial:
			return 2
		case exitGate:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
