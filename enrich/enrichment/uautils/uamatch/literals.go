package uamatch

import (
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Bounds of the literal analysis: sets larger than these are given up on.
const (
	maxLitSet   = 32 // strings in one set
	maxClassLit = 4  // runes of a character class expanded into literals
)

// RequiredLiterals returns a set of strings such that every match of the
// pattern contains at least one of them as a substring, or ok == false when
// the analysis finds none worth using (a string of the set is never
// empty). The pattern is read case-sensitively: only call it for patterns
// compiled without CASE_INSENSITIVE. It is used to skip patterns whose
// literals do not occur in a text, so it is conservative: when in doubt,
// it gives up.
func RequiredLiterals(expr string) (lits []string, ok bool) {
	tree, err := ParseJava(expr)
	if err != nil {
		return nil, false
	}
	a := analyze(tree)
	if !a.hasReq {
		return nil, false
	}
	return a.req, true
}

// litInfo describes what a node can match. exact: the node matches exactly
// the strings of ex (a small finite language). hasReq: every match
// contains one of req (none empty).
type litInfo struct {
	ex      []string
	exact   bool
	req     []string
	hasReq  bool
	reqRank [2]int // min length of req, -len(req): larger is better
}

func exactInfo(ex []string) litInfo {
	ex = dedupe(ex)
	a := litInfo{ex: ex, exact: true}
	a.setReq(ex)
	return a
}

// setReq adopts set as req if it is valid and better than the current one.
func (a *litInfo) setReq(set []string) {
	if len(set) == 0 || len(set) > maxLitSet {
		return
	}
	minLen := -1
	for _, s := range set {
		if s == "" {
			return
		}
		if minLen < 0 || len(s) < minLen {
			minLen = len(s)
		}
	}
	rank := [2]int{minLen, -len(set)}
	if !a.hasReq || rank[0] > a.reqRank[0] || rank[0] == a.reqRank[0] && rank[1] > a.reqRank[1] {
		a.req, a.hasReq, a.reqRank = set, true, rank
	}
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
		if re.Flags&syntax.FoldCase != 0 {
			return litInfo{}
		}
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= maxClassLit {
				return litInfo{}
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set = append(set, string(r))
			}
			if len(set) > maxClassLit || !literalOK([]rune{re.Rune[i], re.Rune[i+1]}) {
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
		sub := analyze(re.Sub[0])
		return litInfo{req: sub.req, hasReq: sub.hasReq, reqRank: sub.reqRank}
	case syntax.OpRepeat:
		if re.Min < 1 {
			return litInfo{}
		}
		sub := analyze(re.Sub[0])
		return litInfo{req: sub.req, hasReq: sub.hasReq, reqRank: sub.reqRank}
	case syntax.OpQuest:
		sub := analyze(re.Sub[0])
		if sub.exact && len(sub.ex) < maxLitSet {
			return litInfo{ex: dedupe(append(slices.Clone(sub.ex), "")), exact: true}
		}
		return litInfo{}
	case syntax.OpAlternate:
		var ex, req []string
		exact, hasReq := true, true
		for _, s := range re.Sub {
			a := analyze(s)
			exact = exact && a.exact
			hasReq = hasReq && a.hasReq
			if exact {
				ex = append(ex, a.ex...)
			}
			if hasReq {
				req = append(req, a.req...)
			}
		}
		var out litInfo
		if exact && len(dedupe(ex)) <= maxLitSet {
			out = exactInfo(ex)
		}
		if hasReq {
			out.setReq(dedupe(req))
		}
		return out
	case syntax.OpConcat:
		var out litInfo
		run := []string{""} // cross product of the current run of exact children
		allExact := true
		closeRun := func() {
			out.setReq(dedupe(run))
			run = []string{""}
		}
		for _, s := range re.Sub {
			a := analyze(s)
			if a.hasReq {
				out.setReq(a.req)
			}
			if !a.exact {
				allExact = false
				closeRun()
				continue
			}
			if len(run)*len(a.ex) > maxLitSet {
				allExact = false
				closeRun()
			}
			prod := make([]string, 0, len(run)*len(a.ex))
			for _, p := range run {
				for _, q := range a.ex {
					prod = append(prod, p+q)
				}
			}
			run = dedupe(prod)
		}
		if allExact {
			ex := run
			out.ex, out.exact = ex, true
		}
		closeRun()
		return out
	}
	return litInfo{}
}
