package uamatch

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// dotStar searches patterns shaped "X.*Y" where X is a small set of ASCII
// literals (its first element may be capture group 1) and Y starts with
// literals, such as "(iPhone).*Version/(\d+)\.(\d+)". A backtracking engine (Java's)
// tries the occurrences of X from the left, and for each lets the greedy
// ".*" take everything up to the next line terminator, then gives back
// one character at a time until Y matches: so the match is X's leftmost
// occurrence that has a Y after it, with Y at its rightmost possible start.
// dotStar does exactly that with an anchored regexp for Y at the
// occurrences of Y's literals, taken from the right, instead of RE2's
// search, which for such patterns visits every (instruction, position).
type dotStar struct {
	lits     []string // X's strings in the order the engine prefers them
	capLen   []int    // per lit: length of group 1's part (capX)
	capX     bool     // X's first element is capture group 1
	rest     *variant // Y, anchored, with group numbers as in the pattern
	byFirstX [256]bool
}

// javaTerminators are the line terminators Java's '.' does not match.
var javaTerminators = []string{"\n", "\r", "\u0085", "\u2028", "\u2029"}

// compileDotStar recognises the shape and compiles Y; nil (no error) when
// the pattern has another shape.
func compileDotStar(expr string) (*dotStar, error) {
	tree, err := ParseJava(expr)
	if err != nil || tree.Op != syntax.OpConcat || len(tree.Sub) < 3 {
		return nil, nil
	}
	k := 1
	for k < len(tree.Sub) && !isDotStar(tree.Sub[k]) {
		k++
	}
	if k >= len(tree.Sub)-1 {
		return nil, nil
	}
	x, y := tree.Sub[:k], tree.Sub[k+1:]
	d := &dotStar{}
	first := x[0]
	if first.Op == syntax.OpCapture {
		d.capX, first = true, first.Sub[0]
	}
	head, ok := orderedStrings(first)
	if !ok || hasCapture(first) {
		return nil, nil
	}
	tail := []string{""}
	if len(x) > 1 {
		rest := &syntax.Regexp{Op: syntax.OpConcat, Sub: x[1:]}
		if hasCapture(rest) {
			return nil, nil
		}
		if tail, ok = orderedStrings(rest); !ok {
			return nil, nil
		}
	}
	if len(head)*len(tail) > maxLitSet {
		return nil, nil
	}
	for _, h := range head {
		for _, t := range tail {
			l := h + t
			if l == "" || !isASCII(l) {
				return nil, nil
			}
			d.lits = append(d.lits, l)
			d.capLen = append(d.capLen, len(h))
			d.byFirstX[l[0]] = true
		}
	}
	yTree := &syntax.Regexp{Op: syntax.OpConcat, Sub: y}
	if len(y) == 1 {
		yTree = y[0]
	}
	if startAssertion(yTree) {
		return nil, nil
	}
	prefixes, ok := literalPrefixes(yTree)
	if !ok {
		return nil, nil
	}
	for _, p := range prefixes {
		if p == "" || !isASCII(p) {
			return nil, nil
		}
	}
	yTree = rewrite(yTree, false, false)
	v := &variant{prefixes: prefixes}
	if !hasEndAssertion(yTree) {
		v.window = byteAlphabet(yTree, &v.alphabet)
		if n, ok := maxBytes(yTree); ok {
			v.maxLen = max(n, 1)
		}
	}
	// X's group (if any) stays in the pattern, behind an impossible match,
	// so that Y's groups keep their numbers.
	var src strings.Builder
	src.WriteString(`\A(?:`)
	if d.capX {
		src.WriteString(`(?:[^\x{0}-\x{10FFFF}](x))?`)
	}
	src.WriteString(toRE2(yTree))
	src.WriteString(`)`)
	if v.anchored, err = regexp.Compile(src.String()); err != nil {
		return nil, fmt.Errorf("compiling %q (translated from Java): %w", expr, err)
	}
	d.rest = v
	return d, nil
}

func isDotStar(re *syntax.Regexp) bool {
	return re.Op == syntax.OpStar && re.Flags&syntax.NonGreedy == 0 && re.Sub[0].Op == syntax.OpAnyCharNotNL
}

// orderedStrings lists the strings a capture-free, finite node matches, in
// the order a backtracking engine tries them; false when the node is not
// such a small literal language.
func orderedStrings(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			l, ok := orderedStrings(s)
			if !ok {
				return nil, false
			}
			out = append(out, l...)
		}
		return out, len(out) <= maxLitSet
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			l, ok := orderedStrings(s)
			if !ok || len(out)*len(l) > maxLitSet {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(l))
			for _, a := range out {
				for _, b := range l {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

func (d *dotStar) find(s string) []int {
	// Without line terminators every ".*" reaches the end of the text, so
	// once Y has no match at or after some e, it has none after any later
	// e either.
	hasTerm := false
	for _, term := range javaTerminators {
		hasTerm = hasTerm || strings.Contains(s, term)
	}
	noYFrom := len(s) + 1
	for i := 0; i < len(s); i++ {
		if !d.byFirstX[s[i]] {
			continue
		}
		for li, lit := range d.lits {
			if !strings.HasPrefix(s[i:], lit) {
				continue
			}
			e := i + len(lit)
			t := len(s)
			if hasTerm {
				// The ".*" cannot pass a line terminator.
				for _, term := range javaTerminators {
					if k := strings.Index(s[e:], term); k >= 0 && e+k < t {
						t = e + k
					}
				}
			} else if e >= noYFrom {
				continue
			}
			if loc := d.rightmostRest(s, e, t); loc != nil {
				loc[0] = i
				if d.capX {
					loc[2], loc[3] = i, i+d.capLen[li]
				}
				return loc
			}
			if !hasTerm {
				noYFrom = min(noYFrom, e)
			}
		}
	}
	return nil
}

// rightmostRest runs Y anchored at the rightmost q in [e, t] where it
// matches (candidates: occurrences of Y's literals, from the right), and
// returns the pattern's loc (group 0 start left to set).
func (d *dotStar) rightmostRest(s string, e, t int) []int {
	v := d.rest
	hi := t // candidates start at or before hi
	for hi >= e {
		q := -1
		for _, p := range v.prefixes {
			if j := strings.LastIndex(s[e:min(hi+len(p), len(s))], p); j >= 0 && e+j > q {
				q = e + j
			}
		}
		if q < 0 {
			return nil
		}
		if loc := v.anchored.FindStringSubmatchIndex(s[q:v.cut(s, q)]); loc != nil {
			for k := range loc {
				if loc[k] >= 0 {
					loc[k] += q
				}
			}
			return loc
		}
		hi = q - 1
	}
	return nil
}
