package uamatch

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// JavaFlags are the java.util.regex.Pattern flags a pattern was compiled
// with.
type JavaFlags struct {
	// CaseInsensitive is Pattern.CASE_INSENSITIVE without UNICODE_CASE:
	// only the ASCII letters A-Z and a-z match each other.
	CaseInsensitive bool
}

// javaDot is what Java's '.' matches without DOTALL: everything but the
// line terminators \n, \r, U+0085, U+2028 and U+2029 (Go's '.' only
// excludes \n).
var javaDot = []rune{0, '\n' - 1, '\n' + 1, '\r' - 1, '\r' + 1, 0x84, 0x86, 0x2027, 0x202A, utf8.MaxRune}

// CompileJava compiles a java.util.regex pattern into an equivalent Go
// regexp. Differences handled: '.' excludes all of Java's line terminators;
// \s includes the vertical tab (Java's [ \t\n\x0B\f\r]); CASE_INSENSITIVE
// folds ASCII letters only (Go's (?i) would also match the Kelvin sign for
// k and the long s for s). Constructs RE2 lacks (look-around,
// back-references, possessive quantifiers) give an error. A character
// class that contains U+10FFFF is taken to be a negated class ([^…]) for
// case folding.
func CompileJava(expr string, f JavaFlags) (*regexp.Regexp, error) {
	tree, err := ParseJava(expr)
	if err != nil {
		return nil, err
	}
	tree = rewrite(tree, f.CaseInsensitive, strings.Contains(expr, "(?i"))
	re, err := regexp.Compile(toRE2(tree))
	if err != nil {
		return nil, fmt.Errorf("compiling %q (translated from Java): %w", expr, err)
	}
	return re, nil
}

// ParseJava parses a Java pattern into an RE2 syntax tree (before the
// rewrites CompileJava applies), with \s already widened to Java's set.
func ParseJava(expr string) (*syntax.Regexp, error) {
	tree, err := syntax.Parse(javaWhitespace(expr), syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parsing regex %q: %w", expr, err)
	}
	return tree, nil
}

// javaWhitespace replaces \s (outside and inside character classes) with
// Java's whitespace set, which includes \x0B, and \S outside classes with
// its complement.
func javaWhitespace(expr string) string {
	if !strings.Contains(expr, `\s`) && !strings.Contains(expr, `\S`) {
		return expr
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\\' && i+1 < len(expr):
			n := expr[i+1]
			switch {
			case n == 's' && inClass:
				b.WriteString(`\t\n\x0B\f\r `)
			case n == 's':
				b.WriteString(`[\t\n\x0B\f\r ]`)
			case n == 'S' && !inClass:
				b.WriteString(`[^\t\n\x0B\f\r ]`)
			case n == 'Q':
				// \Q…\E quotes everything up to \E.
				end := strings.Index(expr[i+2:], `\E`)
				if end < 0 {
					b.WriteString(expr[i:])
					return b.String()
				}
				b.WriteString(expr[i : i+2+end+2])
				i += 2 + end + 1
				continue
			default:
				b.WriteByte(c)
				b.WriteByte(n)
			}
			i++
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal.
			if i+1 < len(expr) && expr[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(expr) && expr[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// rewrite turns a parsed Java pattern into one with Java's semantics under
// RE2. fold is CASE_INSENSITIVE; inlineFold says the pattern has (?i)
// groups. Without (?i), a case-folded literal can only come from the
// parser turning a class that lists a whole fold orbit ([Mm]) into a
// literal: it is written back as that class.
func rewrite(re *syntax.Regexp, fold, inlineFold bool) *syntax.Regexp {
	for i, sub := range re.Sub {
		re.Sub[i] = rewrite(sub, fold, inlineFold)
	}
	switch re.Op {
	case syntax.OpAnyCharNotNL:
		return &syntax.Regexp{Op: syntax.OpCharClass, Rune: slices.Clone(javaDot)}
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 && !inlineFold {
			return orbitLiteral(re, fold)
		}
		if !fold && re.Flags&syntax.FoldCase == 0 {
			return re
		}
		return foldLiteral(re)
	case syntax.OpCharClass:
		if fold || re.Flags&syntax.FoldCase != 0 {
			re.Rune = foldClass(re.Rune)
		}
	}
	return re
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// foldLiteral turns each ASCII letter of a literal into a two-case class.
func foldLiteral(re *syntax.Regexp) *syntax.Regexp {
	var subs []*syntax.Regexp
	var run []rune
	flush := func() {
		if len(run) > 0 {
			subs = append(subs, &syntax.Regexp{Op: syntax.OpLiteral, Rune: run})
			run = nil
		}
	}
	for _, r := range re.Rune {
		if !isASCIILetter(r) {
			run = append(run, r)
			continue
		}
		flush()
		lo, up := r|0x20, r&^0x20
		subs = append(subs, &syntax.Regexp{Op: syntax.OpCharClass, Rune: []rune{up, up, lo, lo}})
	}
	flush()
	if len(subs) == 1 {
		return subs[0]
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Sub: subs}
}

// orbitLiteral writes a case-folded literal that stood for classes such as
// [Mm] back as those classes (plus the other ASCII case when fold).
func orbitLiteral(re *syntax.Regexp, fold bool) *syntax.Regexp {
	subs := make([]*syntax.Regexp, 0, len(re.Rune))
	for _, r := range re.Rune {
		cls := []rune{r, r}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			cls = append(cls, f, f)
		}
		cls = normalize(cls)
		if fold {
			cls = addASCIICases(cls)
		}
		subs = append(subs, &syntax.Regexp{Op: syntax.OpCharClass, Rune: cls})
	}
	if len(subs) == 1 {
		return subs[0]
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Sub: subs}
}

// foldClass adds the other case of every ASCII letter in the class. A class
// containing U+10FFFF is a negated class: its complement is folded and
// complemented again, so that [^a] excludes both a and A, as in Java.
func foldClass(ranges []rune) []rune {
	negated := len(ranges) > 0 && ranges[len(ranges)-1] == utf8.MaxRune
	if negated {
		return complement(addASCIICases(complement(ranges)))
	}
	return addASCIICases(ranges)
}

func addASCIICases(ranges []rune) []rune {
	var in [128]bool
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := max(ranges[i], 0); r <= min(ranges[i+1], 127); r++ {
			in[r] = true
		}
	}
	out := slices.Clone(ranges)
	for r := rune('A'); r <= 'Z'; r++ {
		if in[r] && !in[r|0x20] {
			out = append(out, r|0x20, r|0x20)
		}
		if in[r|0x20] && !in[r] {
			out = append(out, r, r)
		}
	}
	return normalize(out)
}

// normalize sorts and merges ranges.
func normalize(ranges []rune) []rune {
	type rg struct{ lo, hi rune }
	rs := make([]rg, 0, len(ranges)/2)
	for i := 0; i+1 < len(ranges); i += 2 {
		rs = append(rs, rg{ranges[i], ranges[i+1]})
	}
	slices.SortFunc(rs, func(a, b rg) int { return int(a.lo - b.lo) })
	out := make([]rune, 0, len(ranges))
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1]+1 {
			out[n-1] = max(out[n-1], r.hi)
			continue
		}
		out = append(out, r.lo, r.hi)
	}
	return out
}

// complement returns the ranges not covered by the sorted, merged ranges.
func complement(ranges []rune) []rune {
	ranges = normalize(ranges)
	var out []rune
	next := rune(0)
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] > next {
			out = append(out, next, ranges[i]-1)
		}
		next = ranges[i+1] + 1
	}
	if next <= utf8.MaxRune {
		out = append(out, next, utf8.MaxRune)
	}
	return out
}
