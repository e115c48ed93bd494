package uamatch

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Matcher finds the leftmost match of a Java pattern in a text. When every
// match must start with one of a few ASCII literals (the usual
// "Name/(version)" shape), it jumps from one occurrence of those literals
// to the next and runs a start-anchored regexp there, which is much faster
// than RE2's unanchored search when the literals are case-insensitive (RE2
// only accelerates case-sensitive prefixes). Otherwise it runs the full
// regexp. A Matcher is immutable and safe for concurrent use.
type Matcher struct {
	re       *regexp.Regexp // the whole pattern, unanchored
	anchored *regexp.Regexp // \A(?:pattern), nil without prefixes
	prefixes []string       // lowercased when fold
	first    [256]bool      // first bytes of prefixes (lowercased when fold)
	fold     bool
	// window: the anchored regexp can only consume bytes in alphabet, so it
	// runs on the text up to the first byte outside it.
	window   bool
	alphabet [256]bool
}

// CompileMatcher compiles a Java pattern (see CompileJava).
func CompileMatcher(expr string, f JavaFlags) (*Matcher, error) {
	tree, err := ParseJava(expr)
	if err != nil {
		return nil, err
	}
	prefixes, ok := literalPrefixes(tree)
	if ok && hasContextAssertion(tree) {
		ok = false
	}
	tree = rewrite(tree, f.CaseInsensitive, strings.Contains(expr, "(?i"))
	translated := tree.String()
	m := &Matcher{fold: f.CaseInsensitive}
	if m.re, err = regexp.Compile(translated); err != nil {
		return nil, fmt.Errorf("compiling %q (translated from Java): %w", expr, err)
	}
	if !ok {
		return m, nil
	}
	for _, p := range prefixes {
		if p == "" || !isASCII(p) {
			return m, nil
		}
	}
	if m.anchored, err = regexp.Compile(`\A(?:` + translated + `)`); err != nil {
		return nil, fmt.Errorf("compiling %q (translated from Java): %w", expr, err)
	}
	if !hasEndAssertion(tree) {
		m.window = byteAlphabet(tree, &m.alphabet)
	}
	for _, p := range prefixes {
		if m.fold {
			p = asciiLower(p)
		}
		m.prefixes = append(m.prefixes, p)
		m.first[p[0]] = true
	}
	return m, nil
}

// NumSubexp is the number of capture groups.
func (m *Matcher) NumSubexp() int { return m.re.NumSubexp() }

// Regexp is the compiled (unanchored) Go regexp.
func (m *Matcher) Regexp() *regexp.Regexp { return m.re }

// FindStringSubmatchIndex is regexp.FindStringSubmatchIndex for the Java
// pattern: the leftmost match, nil when none; -1 pairs for groups that did
// not take part.
func (m *Matcher) FindStringSubmatchIndex(s string) []int {
	if m.anchored == nil {
		return m.re.FindStringSubmatchIndex(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if m.fold && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !m.first[c] || !m.prefixAt(s[i:]) {
			continue
		}
		end := len(s)
		if m.window {
			end = i
			for end < len(s) && m.alphabet[s[end]] {
				end++
			}
		}
		if loc := m.anchored.FindStringSubmatchIndex(s[i:end]); loc != nil {
			for k := range loc {
				if loc[k] >= 0 {
					loc[k] += i
				}
			}
			return loc
		}
	}
	return nil
}

func (m *Matcher) prefixAt(s string) bool {
	for _, p := range m.prefixes {
		if len(s) < len(p) {
			continue
		}
		if !m.fold {
			if s[:len(p)] == p {
				return true
			}
			continue
		}
		match := true
		for j := 0; j < len(p); j++ {
			c := s[j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != p[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// hasContextAssertion reports whether the pattern looks at text before the
// match start (^, \b, \B), which a search restarted at an offset would see
// differently.
func hasContextAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range re.Sub {
		if hasContextAssertion(s) {
			return true
		}
	}
	return false
}

// hasEndAssertion reports whether the pattern looks at text after the
// match end ($, \z, \b, \B), which a search on a cut text would see
// differently.
func hasEndAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEndLine, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range re.Sub {
		if hasEndAssertion(s) {
			return true
		}
	}
	return false
}

// byteAlphabet marks in a every byte that the (rewritten) pattern can
// consume; false when that is (nearly) every byte, so a window would not
// help. Any non-ASCII rune marks every byte >= 0x80.
func byteAlphabet(re *syntax.Regexp, a *[256]bool) bool {
	mark := func(lo, hi rune) {
		if hi >= 0x80 {
			for c := 0x80; c < 256; c++ {
				a[c] = true
			}
		}
		for r := max(lo, 0); r <= min(hi, 0x7f); r++ {
			a[r] = true
		}
	}
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return false
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			mark(r, r)
			if re.Flags&syntax.FoldCase != 0 {
				mark(r|0x20, r|0x20)
				mark(r&^0x20, r&^0x20)
				mark(0x80, utf8.MaxRune)
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			mark(re.Rune[i], re.Rune[i+1])
		}
	}
	for _, s := range re.Sub {
		if !byteAlphabet(s, a) {
			return false
		}
	}
	n := 0
	for _, ok := range a {
		if ok {
			n++
		}
	}
	return n < 200
}

// literalPrefixes returns a set of non-empty literals such that every match
// starts with one of them, or ok == false. Literals are read as written
// (case-sensitively); callers fold them for case-insensitive patterns.
func literalPrefixes(re *syntax.Regexp) ([]string, bool) {
	p, ok := prefixInfo(re)
	if !ok || len(p.set) == 0 || len(p.set) > maxLitSet {
		return nil, false
	}
	for _, s := range p.set {
		if s == "" {
			return nil, false
		}
	}
	return p.set, true
}

// prefixSet: every match of the node starts with one of set; exact: the
// node matches exactly the strings of set.
type prefixSet struct {
	set   []string
	exact bool
}

func prefixInfo(re *syntax.Regexp) (prefixSet, bool) {
	switch re.Op {
	case syntax.OpLiteral, syntax.OpCharClass:
		a := analyze(re)
		if !a.exact {
			return prefixSet{}, false
		}
		return prefixSet{set: a.ex, exact: true}, true
	case syntax.OpCapture:
		return prefixInfo(re.Sub[0])
	case syntax.OpPlus:
		p, ok := prefixInfo(re.Sub[0])
		p.exact = false
		return p, ok
	case syntax.OpRepeat:
		if re.Min < 1 {
			return prefixSet{}, false
		}
		p, ok := prefixInfo(re.Sub[0])
		p.exact = p.exact && re.Min == 1 && re.Max == 1
		return p, ok
	case syntax.OpAlternate:
		var out prefixSet
		out.exact = true
		for _, s := range re.Sub {
			p, ok := prefixInfo(s)
			if !ok {
				return prefixSet{}, false
			}
			out.set = append(out.set, p.set...)
			out.exact = out.exact && p.exact
		}
		out.set = dedupe(out.set)
		return out, len(out.set) <= maxLitSet
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return prefixSet{}, false
		}
		acc, ok := prefixInfo(re.Sub[0])
		if !ok {
			return prefixSet{}, false
		}
		for _, s := range re.Sub[1:] {
			if !acc.exact {
				break
			}
			p, ok := prefixInfo(s)
			if !ok || len(acc.set)*len(p.set) > maxLitSet {
				acc.exact = false
				break
			}
			prod := make([]string, 0, len(acc.set)*len(p.set))
			for _, a := range acc.set {
				for _, b := range p.set {
					prod = append(prod, a+b)
				}
			}
			acc = prefixSet{set: dedupe(prod), exact: p.exact}
		}
		return acc, true
	}
	return prefixSet{}, false
}

// Strategy describes how FindStringSubmatchIndex searches: "full" (RE2's
// own search), "prefix" (jumps between the listed literal prefixes) or
// "prefix+window" (also cuts the text at the first byte the pattern cannot
// consume). For tests and diagnostics.
func (m *Matcher) Strategy() string {
	switch {
	case m.anchored == nil:
		return "full"
	case m.window:
		return fmt.Sprintf("prefix+window %q", m.prefixes)
	}
	return fmt.Sprintf("prefix %q", m.prefixes)
}
