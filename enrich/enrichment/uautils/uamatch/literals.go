package uamatch

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of the literal analysis: sets larger than these are given up on.
const (
	maxLitSet   = 128 // strings in one set
	maxClassLit = 4   // runes of a character class expanded into literals
	maxReqSets  = 6   // required sets kept per pattern
)

// RequiredLiterals returns sets of strings such that every match of the
// pattern contains at least one string of EACH set as a substring (a
// conjunction of alternatives), or ok == false when the analysis finds
// none worth using (a string of a set is never empty). The pattern is read
// case-sensitively: only call it for patterns compiled without
// CASE_INSENSITIVE. It is used to skip patterns whose literals do not
// occur in a text, so it is conservative: when in doubt, it gives up.
func RequiredLiterals(expr string) (sets [][]string, ok bool) {
	tree, err := ParseJava(expr)
	if err != nil {
		return nil, false
	}
	a := analyze(tree)
	return a.reqs, len(a.reqs) > 0
}

// litInfo describes what a node can match. exact: the node matches exactly
// the strings of ex (a small finite language). reqs: every match contains
// one string of each set (best sets first).
type litInfo struct {
	ex    []string
	exact bool
	reqs  [][]string
}

func exactInfo(ex []string) litInfo {
	ex = dedupe(ex)
	a := litInfo{ex: ex, exact: true}
	a.addReq(ex)
	return a
}

// rank orders sets: a longer shortest string first, then fewer strings.
func rank(set []string) [2]int {
	minLen := len(set[0])
	for _, s := range set {
		minLen = min(minLen, len(s))
	}
	return [2]int{minLen, -len(set)}
}

// addReq adds a required set if it is usable, keeping the best maxReqSets.
func (a *litInfo) addReq(set []string) {
	if len(set) == 0 || len(set) > maxLitSet || slices.Contains(set, "") {
		return
	}
	// Keep the list minimal: a set is redundant when another set's presence
	// already implies it.
	for _, r := range a.reqs {
		if implies(r, set) {
			return
		}
	}
	a.reqs = slices.DeleteFunc(a.reqs, func(r []string) bool { return implies(set, r) })
	a.reqs = append(a.reqs, set)
	slices.SortStableFunc(a.reqs, func(x, y []string) int {
		rx, ry := rank(x), rank(y)
		if rx[0] != ry[0] {
			return ry[0] - rx[0]
		}
		return ry[1] - rx[1]
	})
	if len(a.reqs) > maxReqSets {
		a.reqs = a.reqs[:maxReqSets]
	}
}

// implies reports whether a text containing a string of t always contains
// a string of s (every string of t contains one of s).
func implies(t, s []string) bool {
	for _, x := range t {
		found := false
		for _, y := range s {
			if strings.Contains(x, y) {
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

func dedupe(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func literalOK(r []rune) bool {
	for _, c := range r {
		if c == utf8.RuneError {
			return false // Go matches invalid bytes as U+FFFD: not a byte needle
		}
	}
	return true
}

// foldVariants lists every spelling of a case-folded literal (each rune
// replaced by any member of its Unicode simple-fold orbit), false when there
// are more than maxLitSet.
func foldVariants(rs []rune) ([]string, bool) {
	out := []string{""}
	for _, r := range rs {
		orbit := []rune{r}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			orbit = append(orbit, f)
		}
		if len(out)*len(orbit) > maxLitSet {
			return nil, false
		}
		next := make([]string, 0, len(out)*len(orbit))
		for _, p := range out {
			for _, o := range orbit {
				next = append(next, p+string(o))
			}
		}
		out = next
	}
	return dedupe(out), true
}

func product(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, p := range a {
		for _, q := range b {
			out = append(out, p+q)
		}
	}
	return dedupe(out)
}

func analyze(re *syntax.Regexp) litInfo {
	switch re.Op {
	case syntax.OpLiteral:
		if !literalOK(re.Rune) {
			return litInfo{}
		}
		if re.Flags&syntax.FoldCase != 0 {
			v, ok := foldVariants(re.Rune)
			if !ok {
				return litInfo{}
			}
			return exactInfo(v)
		}
		return exactInfo([]string{string(re.Rune)})
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= maxClassLit || !literalOK([]rune{re.Rune[i], re.Rune[i+1]}) {
				return litInfo{}
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set = append(set, string(r))
			}
			if len(set) > maxClassLit {
				return litInfo{}
			}
		}
		if len(set) == 0 {
			return litInfo{}
		}
		return exactInfo(set)
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return litInfo{ex: []string{""}, exact: true}
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpPlus:
		return litInfo{reqs: analyze(re.Sub[0]).reqs}
	case syntax.OpRepeat:
		sub := analyze(re.Sub[0])
		if re.Min == 1 && re.Max == 1 {
			return sub
		}
		if re.Min < 1 {
			return litInfo{}
		}
		return litInfo{reqs: sub.reqs}
	case syntax.OpQuest:
		sub := analyze(re.Sub[0])
		if sub.exact && len(sub.ex) < maxLitSet {
			return litInfo{ex: dedupe(append(slices.Clone(sub.ex), "")), exact: true}
		}
		return litInfo{}
	case syntax.OpAlternate:
		// Exact when every branch is; required: the union of one set per
		// branch (the best), when every branch has one.
		var ex, req []string
		exact, hasReq := true, true
		for _, s := range re.Sub {
			a := analyze(s)
			exact = exact && a.exact
			hasReq = hasReq && len(a.reqs) > 0
			if exact {
				ex = append(ex, a.ex...)
			}
			if hasReq {
				req = append(req, a.reqs[0]...)
			}
		}
		var out litInfo
		if exact && len(dedupe(ex)) <= maxLitSet {
			out = exactInfo(ex)
		}
		if hasReq {
			out.addReq(dedupe(req))
		}
		return out
	case syntax.OpConcat:
		// Every child's required sets are required; runs of exact children
		// give the cross product of their strings.
		var out litInfo
		run := []string{""}
		allExact := true
		for _, s := range re.Sub {
			a := analyze(s)
			for _, r := range a.reqs {
				out.addReq(r)
			}
			if !a.exact || len(run)*len(a.ex) > maxLitSet {
				out.addReq(run)
				run = []string{""}
				if !a.exact {
					allExact = false
					continue
				}
				allExact = false
			}
			run = product(run, a.ex)
		}
		if allExact {
			out.ex, out.exact = run, true
		}
		out.addReq(run)
		return out
	}
	return litInfo{}
}
