package index

import (
	"errors"
	"fmt"
	"testing"
)

// TestErrorChains checks what errors.go promises: every *CorruptError matches ErrCorrupt and
// keeps its cause reachable, every *VersionError matches ErrVersion, through more wrapping.
func TestErrorChains(t *testing.T) {
	ce := &CorruptError{File: "x.pcapdex", Section: "flows", Offset: 0x40, Msg: "column 3", Err: errShort}
	for _, err := range []error{ce, fmt.Errorf("query: %w", ce)} {
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, errShort) || errors.Is(err, ErrVersion) {
			t.Errorf("%v: Is(ErrCorrupt)=%v Is(cause)=%v Is(ErrVersion)=%v, want true true false",
				err, errors.Is(err, ErrCorrupt), errors.Is(err, errShort), errors.Is(err, ErrVersion))
		}
		var got *CorruptError
		if !errors.As(err, &got) || got != ce {
			t.Errorf("%v: errors.As does not find the *CorruptError", err)
		}
	}
	if err := (&CorruptError{File: "x", Msg: "bad magic"}); !errors.Is(err, ErrCorrupt) || errors.Unwrap(err) != nil {
		t.Errorf("%v without a cause: Is(ErrCorrupt)=%v Unwrap=%v", err, errors.Is(err, ErrCorrupt), errors.Unwrap(err))
	}
	ve := fmt.Errorf("open: %w", &VersionError{File: "x", Got: 9, Want: FormatVersion})
	if !errors.Is(ve, ErrVersion) || errors.Is(ve, ErrCorrupt) {
		t.Errorf("%v: Is(ErrVersion)=%v Is(ErrCorrupt)=%v, want true false", ve, errors.Is(ve, ErrVersion), errors.Is(ve, ErrCorrupt))
	}
}
