package uamatch

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// Matcher finds the leftmost match of a Java pattern in a text. When every
// match must start with one of a few ASCII literals (the usual
// "Name/(version)" shape) and the pattern cannot consume every byte, it
// jumps from one occurrence of those literals to the next and runs a
// start-anchored regexp there on the text cut at the first byte the
// pattern cannot consume. A pattern that starts with an alternation of
// such branches ("(Bolt|Jasmine|…|Chrome)/(\d+)") gets one anchored
// regexp per branch, tried in branch order where the branch's literal
// occurs, which is what a backtracking engine does and saves RE2 from
// walking every branch at every candidate; a few branches without such
// literals are found by RE2's search and bound the scan. "X.*Y" patterns
// get their own search (dotStar). Otherwise RE2's own search runs. A
// Matcher is immutable and safe for concurrent use.
type Matcher struct {
	re       *regexp.Regexp // the whole pattern, unanchored
	variants []*variant     // nil: use re
	// For a pattern anchored at the text start (^…): the bytes a match can
	// start with; nil when unknown or when it can match "".
	startBytes *[256]bool
	dot        *dotStar   // "(literal).*rest" patterns; nil: not that shape
	byFirst    [256][]int // first byte (lowercased when fold) → variants whose literals start with it
	fold       bool
	searched   bool // some variants are searched (see variant)
}

// variant is the whole pattern, or the pattern with its leading
// alternation narrowed to one branch, anchored at the start.
type variant struct {
	anchored *regexp.Regexp
	prefixes []string // lowercased when fold
	window   bool     // cut the text at the first byte outside alphabet
	alphabet [256]bool
	maxLen   int    // > 0: a match is at most this many bytes long
	src      string // translated pattern, before anchoring
	// searched: a branch without usable literal prefixes, found by RE2's
	// unanchored search (skipped when one of its required literal sets
	// is absent from the text).
	searched *regexp.Regexp
	required [][]string
}

// maxBranches bounds the leading alternations split into variants.
const maxBranches = 1024

// CompileMatcher compiles a Java pattern (see CompileJava).
func CompileMatcher(expr string, f JavaFlags) (*Matcher, error) {
	inlineFold := strings.Contains(expr, "(?i")
	tree, err := ParseJava(expr)
	if err != nil {
		return nil, err
	}
	m := &Matcher{fold: f.CaseInsensitive}
	whole, wholeOK := buildVariant(tree, f.CaseInsensitive, inlineFold)
	// The pattern has been rewritten in place by buildVariant.
	if rest, ok := afterBeginText(tree); ok {
		var set [256]bool
		if !firstBytes(rest, &set) {
			m.startBytes = &set
		}
	}
	if m.re, err = regexp.Compile(toRE2(tree)); err != nil {
		return nil, fmt.Errorf("compiling %q (translated from Java): %w", expr, err)
	}
	if !f.CaseInsensitive && !inlineFold {
		if m.dot, err = compileDotStar(expr); err != nil {
			return nil, err
		}
	}
	if m.dot != nil {
		// handled by the dot-star search
	} else if vs, ok := branchVariants(expr, f.CaseInsensitive, inlineFold); ok {
		m.variants = vs
	} else if wholeOK {
		m.variants = []*variant{whole}
	}
	for i, v := range m.variants {
		if v.searched != nil {
			m.searched = true
			continue
		}
		if v.anchored == nil {
			if v.anchored, err = regexp.Compile(`\A(?:` + v.source() + `)`); err != nil {
				return nil, fmt.Errorf("compiling %q (translated from Java): %w", expr, err)
			}
		}
		for _, p := range v.prefixes {
			if !slices.Contains(m.byFirst[p[0]], i) {
				m.byFirst[p[0]] = append(m.byFirst[p[0]], i)
			}
		}
	}
	return m, nil
}

func (v *variant) source() string { return v.src }

// buildVariant analyses tree (before the rewrite, which it then applies in
// place) and describes it as an anchored variant; ok is false when it
// does not qualify (no ASCII literal prefixes, an assertion at the start,
// or a pattern that can consume nearly every byte while case-sensitive —
// then RE2's own search, which skips to literal prefixes and visits each
// position once, is faster than repeated anchored runs).
func buildVariant(tree *syntax.Regexp, fold, inlineFold bool) (*variant, bool) {
	prefixes, ok := literalPrefixes(tree)
	if ok && startAssertion(tree) {
		ok = false
	}
	var required [][]string
	if !fold {
		required = analyze(tree).reqs
	}
	rewritten := rewrite(tree, fold, inlineFold)
	*tree = *rewritten
	v := &variant{src: toRE2(tree), required: required}
	if !ok {
		return v, false
	}
	for _, p := range prefixes {
		if p == "" || !isASCII(p) {
			return v, false
		}
		if fold {
			p = asciiLower(p)
		}
		v.prefixes = append(v.prefixes, p)
	}
	if !hasEndAssertion(tree) {
		v.window = byteAlphabet(tree, &v.alphabet)
		if n, ok := maxBytes(tree); ok {
			v.maxLen = max(n, 1)
		}
	}
	if !v.window && v.maxLen == 0 && !fold {
		return v, false
	}
	return v, true
}

// maxSearched bounds the branches of a split alternation that need RE2's
// own search.
const maxSearched = 16

// cut returns the end of the text an anchored run at i needs to see.
func (v *variant) cut(s string, i int) int {
	end := len(s)
	if v.maxLen > 0 && i+v.maxLen < end {
		end = i + v.maxLen
		// Cut at a rune boundary, so that the runes seen are the text's.
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
	}
	if v.window {
		w := i
		for w < end && v.alphabet[s[w]] {
			w++
		}
		end = w
	}
	return end
}

// maxBytes is the longest match of the (rewritten) pattern in bytes, when
// it is bounded.
func maxBytes(re *syntax.Regexp) (int, bool) {
	const limit = 1 << 16
	runeMax := func(r rune) int { return utf8.RuneLen(r) }
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += max(runeMax(r), 1)
		}
		return n, true
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0, true
		}
		hi := re.Rune[len(re.Rune)-1]
		if hi >= 0x80 {
			return 4, true // and an invalid byte counts as one
		}
		return 1, true
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 4, true
	case syntax.OpStar, syntax.OpPlus:
		return 0, false
	case syntax.OpRepeat:
		if re.Max < 0 {
			return 0, false
		}
		n, ok := maxBytes(re.Sub[0])
		if !ok || n*re.Max > limit {
			return 0, false
		}
		return n * re.Max, true
	case syntax.OpCapture, syntax.OpQuest:
		return maxBytes(re.Sub[0])
	case syntax.OpConcat:
		total := 0
		for _, sub := range re.Sub {
			n, ok := maxBytes(sub)
			if !ok || total+n > limit {
				return 0, false
			}
			total += n
		}
		return total, true
	case syntax.OpAlternate:
		best := 0
		for _, sub := range re.Sub {
			n, ok := maxBytes(sub)
			if !ok {
				return 0, false
			}
			best = max(best, n)
		}
		return best, true
	}
	return 0, true // empty match, assertions, no match
}

// branchVariants splits a leading alternation (the pattern is that
// alternation, possibly captured, or a concatenation starting with it)
// into one variant per branch. So that capture groups keep their numbers,
// a variant keeps the other branches that hold groups, behind an
// impossible match.
func branchVariants(expr string, fold, inlineFold bool) ([]*variant, bool) {
	probe, err := ParseJava(expr)
	if err != nil {
		return nil, false
	}
	alt := leadingAlternate(probe)
	if alt == nil || len(alt.Sub) < 2 || len(alt.Sub) > maxBranches {
		return nil, false
	}
	var out []*variant
	searched := 0
	for i := range alt.Sub {
		tree, err := ParseJava(expr)
		if err != nil {
			return nil, false
		}
		a := leadingAlternate(tree)
		keep := []*syntax.Regexp{a.Sub[i]}
		for j, b := range a.Sub {
			if j != i && hasCapture(b) {
				dead := &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{{Op: syntax.OpNoMatch}, b}}
				if j < i {
					keep = append([]*syntax.Regexp{dead}, keep...)
				} else {
					keep = append(keep, dead)
				}
			}
		}
		if len(keep) == 1 {
			*a = *keep[0]
		} else {
			a.Sub = keep
		}
		v, ok := buildVariant(tree, fold, inlineFold)
		if !ok {
			if searched++; searched > maxSearched {
				return nil, false
			}
			if v.searched, err = regexp.Compile(v.src); err != nil {
				return nil, false
			}
			v.prefixes, v.window, v.maxLen = nil, false, 0
		}
		out = append(out, v)
	}
	return out, searched < len(out)
}

// afterBeginText returns what follows a leading \A (or ^ without
// MULTILINE): the pattern is a concatenation, possibly inside groups, that
// starts with it.
func afterBeginText(re *syntax.Regexp) (*syntax.Regexp, bool) {
	switch re.Op {
	case syntax.OpBeginText:
		return &syntax.Regexp{Op: syntax.OpEmptyMatch}, true
	case syntax.OpConcat:
		if len(re.Sub) > 0 && re.Sub[0].Op == syntax.OpBeginText {
			return &syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]}, true
		}
	}
	return nil, false
}

// firstBytes marks in set every byte a match of re can start with and
// reports whether re can match the empty string. Non-ASCII runes mark all
// bytes >= 0x80 (RE2 also matches invalid bytes as U+FFFD).
func firstBytes(re *syntax.Regexp, set *[256]bool) (nullable bool) {
	markRange := func(lo, hi rune) {
		for r := max(lo, 0); r <= min(hi, 0x7f); r++ {
			set[r] = true
		}
		if hi >= 0x80 {
			for c := 0x80; c < 256; c++ {
				set[c] = true
			}
		}
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return true
		}
		r := re.Rune[0]
		markRange(r, r)
		if re.Flags&syntax.FoldCase != 0 {
			markRange(0, utf8.MaxRune) // rare: give up on precision
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			markRange(re.Rune[i], re.Rune[i+1])
		}
		return false
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		markRange(0, utf8.MaxRune)
		return false
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0], set)
	case syntax.OpStar, syntax.OpQuest:
		firstBytes(re.Sub[0], set)
		return true
	case syntax.OpRepeat:
		n := firstBytes(re.Sub[0], set)
		return n || re.Min == 0
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !firstBytes(sub, set) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		n := false
		for _, sub := range re.Sub {
			if firstBytes(sub, set) {
				n = true
			}
		}
		return n
	}
	return true // empty match and assertions
}

// leadingAlternate returns the alternation every match starts with: the
// node itself, under a capture, or the first element of a concatenation.
func leadingAlternate(re *syntax.Regexp) *syntax.Regexp {
	for {
		switch re.Op {
		case syntax.OpAlternate:
			return re
		case syntax.OpCapture:
			re = re.Sub[0]
		case syntax.OpConcat:
			if len(re.Sub) == 0 {
				return nil
			}
			re = re.Sub[0]
		default:
			return nil
		}
	}
}

func hasCapture(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture {
		return true
	}
	for _, s := range re.Sub {
		if hasCapture(s) {
			return true
		}
	}
	return false
}

// NumSubexp is the number of capture groups.
func (m *Matcher) NumSubexp() int { return m.re.NumSubexp() }

// Regexp is the compiled (unanchored) Go regexp.
func (m *Matcher) Regexp() *regexp.Regexp { return m.re }

// FindStringSubmatchIndex is regexp.FindStringSubmatchIndex for the Java
// pattern: the leftmost match, nil when none; -1 pairs for groups that did
// not take part.
func (m *Matcher) FindStringSubmatchIndex(s string) []int {
	if m.startBytes != nil && (s == "" || !m.startBytes[s[0]]) {
		return nil
	}
	if m.dot != nil {
		return m.dot.find(s)
	}
	if m.variants == nil {
		return m.re.FindStringSubmatchIndex(s)
	}
	// Searched variants first: their leftmost matches bound the scan.
	var found map[int][]int
	stop := len(s) // last position to examine
	if m.searched {
		for vi, v := range m.variants {
			if v.searched == nil || !v.possible(s) {
				continue
			}
			if loc := v.searched.FindStringSubmatchIndex(s); loc != nil {
				if found == nil {
					found = map[int][]int{}
				}
				found[vi] = loc
				stop = min(stop, loc[0])
			}
		}
	}
	for i := 0; i <= stop; i++ {
		if found != nil && i == stop {
			// A searched variant matches here: try every branch in order.
			for vi, v := range m.variants {
				if v.searched != nil {
					if loc := found[vi]; loc != nil && loc[0] == i {
						return loc
					}
					continue
				}
				if loc := v.runAt(s, i, m.fold); loc != nil {
					return loc
				}
			}
			return nil // unreachable: the searched variant matched at i
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if m.fold && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		for _, vi := range m.byFirst[c] {
			if loc := m.variants[vi].runAt(s, i, m.fold); loc != nil {
				return loc
			}
		}
	}
	return nil
}

// runAt runs an anchored variant at i when one of its prefixes is there.
func (v *variant) runAt(s string, i int, fold bool) []int {
	if i >= len(s) || !v.prefixAt(s[i:], fold) {
		return nil
	}
	loc := v.anchored.FindStringSubmatchIndex(s[i:v.cut(s, i)])
	for k := range loc {
		if loc[k] >= 0 {
			loc[k] += i
		}
	}
	return loc
}

// possible reports whether each required literal set of a searched
// variant has a literal in s.
func (v *variant) possible(s string) bool {
	for _, set := range v.required {
		found := false
		for _, l := range set {
			if strings.Contains(s, l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (v *variant) prefixAt(s string, fold bool) bool {
	for _, p := range v.prefixes {
		if len(s) < len(p) {
			continue
		}
		if !fold {
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

// startAssertion reports whether an assertion that looks before the
// current position (^, \A, \b, \B) can be evaluated at the start of a
// match, before any character is consumed: a search restarted at an
// offset would evaluate it differently. Assertions after the first
// consumed character see the same text either way.
func startAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if startAssertion(s) {
				return true
			}
			if !nullable(s) {
				return false
			}
		}
		return false
	case syntax.OpAlternate, syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		for _, s := range re.Sub {
			if startAssertion(s) {
				return true
			}
		}
	}
	return false
}

// nullable reports whether the node can match without consuming a
// character.
func nullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpNoMatch:
		return false
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0])
	case syntax.OpPlus, syntax.OpCapture:
		return nullable(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !nullable(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if nullable(s) {
				return true
			}
		}
		return false
	}
	return true // empty match and assertions
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
	case syntax.OpNoMatch:
		return prefixSet{exact: true}, true // matches nothing: no prefix needed
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
// own search; "full start-bytes" when a pattern anchored at the text start
// is skipped unless the first byte can start a match), or "prefix" / "prefix+window" with the literal prefixes of
// its variants ("branches N" when the leading alternation was split). For
// tests and diagnostics.
func (m *Matcher) Strategy() string {
	if m.dot != nil {
		return fmt.Sprintf("dot-star %q .* %q", m.dot.lits, m.dot.rest.prefixes)
	}
	if m.variants == nil {
		if m.startBytes != nil {
			return "full start-bytes"
		}
		return "full"
	}
	var prefixes []string
	window, bounded := true, true
	searched := 0
	for _, v := range m.variants {
		if v.searched != nil {
			searched++
			continue
		}
		prefixes = append(prefixes, v.prefixes...)
		window = window && v.window
		bounded = bounded && v.maxLen > 0
	}
	s := "prefix"
	if window {
		s += "+window"
	}
	if bounded {
		s += "+bounded"
	}
	if len(m.variants) > 1 {
		s += fmt.Sprintf(" branches %d", len(m.variants))
	}
	if searched > 0 {
		s += fmt.Sprintf(" (%d searched)", searched)
	}
	return fmt.Sprintf("%s %q", s, prefixes)
}
