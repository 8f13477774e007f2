package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// infoRow is one file's info object flattened for csv: keys in the object's order, nested
// objects as parent.child, arrays joined with spaces.
type infoRow struct {
	keys []string
	vals map[string]string
}

// flattenJSON flattens the info object b (see infoRow).
func flattenJSON(b []byte) (infoRow, error) {
	row := infoRow{vals: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := flattenValue(dec, "", &row); err != nil {
		return row, fmt.Errorf("info csv: %w", err)
	}
	return row, nil
}

func flattenValue(dec *json.Decoder, key string, row *infoRow) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k := kt.(string)
				if key != "" {
					k = key + "." + k
				}
				if err := flattenValue(dec, k, row); err != nil {
					return err
				}
			}
			_, err := dec.Token() // '}'
			return err
		case '[':
			var parts []string
			for dec.More() {
				var v any
				if err := dec.Decode(&v); err != nil {
					return err
				}
				switch x := v.(type) {
				case string:
					parts = append(parts, x)
				default:
					b, _ := json.Marshal(x)
					parts = append(parts, string(b))
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			row.set(key, strings.Join(parts, " "))
			return nil
		}
	case string:
		row.set(key, t)
	case json.Number:
		row.set(key, t.String())
	case bool:
		row.set(key, fmt.Sprint(t))
	case nil:
		row.set(key, "")
	}
	return nil
}

func (r *infoRow) set(k, v string) {
	if _, ok := r.vals[k]; !ok {
		r.keys = append(r.keys, k)
	}
	r.vals[k] = v
}

// appendInfoCSV appends a header (the union of the rows' keys, in order of first use) and
// one line per row; a key a file lacks is an empty field.
func appendInfoCSV(dst []byte, rows []infoRow) []byte {
	var keys []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, k := range r.keys {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, csvField(k)...)
	}
	dst = append(dst, '\n')
	for _, r := range rows {
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, csvField(r.vals[k])...)
		}
		dst = append(dst, '\n')
	}
	return dst
}
