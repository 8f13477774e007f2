package filter

import "strings"

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tLParen
	tRParen
	tAnd    // and, &&
	tOr     // or, ||
	tNot    // not, !
	tCmp    // == != < <= > >= (and = for ==)
	tArith  // + * & | ^ << >> ("-", "/" and "%" are words: 1024-2047, 10.0.0.0/8, fe80::1%eth0)
	tLBrack // [
	tRBrack // ]
	tColon  // : inside brackets (elsewhere it belongs to IPv6 and MAC addresses)
)

type token struct {
	kind tokKind
	pos  int    // byte offset in the filter
	text string // the bytes of the token
	op   Op     // for tCmp
}

// isDelim reports whether c ends a word.
func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '(', ')', '!', '&', '|', '=', '<', '>', '[', ']', '+', '*', '^':
		return true
	}
	return false
}

// lex splits a filter into tokens. Words are maximal runs of bytes that are neither space
// nor one of ( ) ! & | = < > [ ] + * ^ (nor ":" inside brackets); addresses, prefixes,
// numbers with units and keywords are all words, told apart by the parser. A backslash before
// a word ("proto \udp") is dropped, as libpcap does.
func lex(src string) ([]token, *Error) {
	var toks []token
	brack := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '[' || c == ']':
			k := tLBrack
			if c == ']' {
				k, brack = tRBrack, brack-1
			} else {
				brack++
			}
			toks = append(toks, token{kind: k, pos: i, text: src[i : i+1]})
			i++
		case c == ':' && brack > 0:
			toks = append(toks, token{kind: tColon, pos: i, text: ":"})
			i++
		case c == '+' || c == '*' || c == '^':
			toks = append(toks, token{kind: tArith, pos: i, text: src[i : i+1]})
			i++
		case (c == '<' || c == '>') && i+1 < len(src) && src[i+1] == c:
			toks = append(toks, token{kind: tArith, pos: i, text: src[i : i+2]})
			i += 2
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			i++
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i, text: "("})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i, text: ")"})
			i++
		case c == '&' || c == '|':
			if i+1 < len(src) && src[i+1] == c {
				k := tAnd
				if c == '|' {
					k = tOr
				}
				toks = append(toks, token{kind: k, pos: i, text: src[i : i+2]})
				i += 2
				continue
			}
			// A single & or | is a bit operation: "tcp[13] & 2 != 0".
			toks = append(toks, token{kind: tArith, pos: i, text: src[i : i+1]})
			i++
		case c == '!' || c == '=' || c == '<' || c == '>':
			two := i+1 < len(src) && src[i+1] == '='
			t := token{kind: tCmp, pos: i, text: src[i : i+1]}
			switch {
			case c == '!' && two:
				t.op = OpNe
			case c == '!':
				t.kind = tNot
			case c == '=':
				t.op = OpEq
			case c == '<' && two:
				t.op = OpLe
			case c == '<':
				t.op = OpLt
			case c == '>' && two:
				t.op = OpGe
			default:
				t.op = OpGt
			}
			if two {
				t.text = src[i : i+2]
			}
			i += len(t.text)
			toks = append(toks, t)
		default:
			j := i
			if c == '\\' {
				i++
				j++
			}
			for j < len(src) && !isDelim(src[j]) && !(brack > 0 && src[j] == ':') {
				j++
			}
			w := src[i:j]
			t := token{kind: tWord, pos: i, text: w}
			if w == "" {
				return nil, &Error{Filter: src, Pos: i - 1, Msg: `"\\" needs a word after it ("proto \\udp")`}
			}
			if c == '\\' {
				toks = append(toks, t)
				i = j
				continue
			}
			switch {
			case strings.EqualFold(w, "and"):
				t.kind = tAnd
			case strings.EqualFold(w, "or"):
				t.kind = tOr
			case strings.EqualFold(w, "not"):
				t.kind = tNot
			}
			toks = append(toks, t)
			i = j
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(src)})
	return toks, nil
}

// Error is a syntax or value error in a filter. Pos is the byte offset of the fault in
// Filter; Error() prints the message, the filter and a caret under the fault:
//
//	filter: expected a port number after "port"
//	  host 10.0.0.1 and port x
//	                         ^
type Error struct {
	Filter string
	Pos    int
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("filter: ")
	b.WriteString(e.Msg)
	b.WriteString("\n  ")
	col := 0
	for i, r := range e.Filter {
		if i < e.Pos {
			col++
		}
		if r < ' ' || r == 0x7f {
			r = ' '
		}
		b.WriteRune(r)
	}
	b.WriteString("\n  ")
	b.WriteString(strings.Repeat(" ", col))
	b.WriteByte('^')
	return b.String()
}
