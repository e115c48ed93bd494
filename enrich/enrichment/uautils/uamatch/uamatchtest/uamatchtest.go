package uamatchtest

import (
	"math/rand/v2"
	"regexp/syntax"
	"strings"
)

// Generate returns a random string that the pattern matches when anchors
// and look-around context are ignored (callers check with the compiled
// regexp). ok is false when the pattern does not parse.
func Generate(expr string, rng *rand.Rand) (string, bool) {
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	gen(tree, rng, &b)
	return b.String(), true
}

// Surround returns texts made of a generated match with junk around it,
// sometimes repeated, sometimes upper-cased.
func Surround(expr string, rng *rand.Rand, n int, junk []string) []string {
	var out []string
	for range n {
		g, ok := Generate(expr, rng)
		if !ok {
			return nil
		}
		s := junk[rng.IntN(len(junk))] + g + junk[rng.IntN(len(junk))]
		if rng.IntN(3) == 0 {
			g2, _ := Generate(expr, rng)
			s += g2
		}
		if rng.IntN(4) == 0 {
			s = strings.ToUpper(s)
		}
		out = append(out, s)
	}
	return out
}

func gen(re *syntax.Regexp, rng *rand.Rand, b *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && rng.IntN(2) == 0 {
				r = []rune(strings.ToUpper(string(r)))[0]
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		var rs []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1] && r < re.Rune[i]+20; r++ {
				rs = append(rs, r)
			}
		}
		if len(rs) > 0 {
			b.WriteRune(rs[rng.IntN(len(rs))])
		}
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteByte("xyz ;/"[rng.IntN(6)])
	case syntax.OpCapture:
		gen(re.Sub[0], rng, b)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, max(re.Max, re.Min+2)
		}
		for range lo + rng.IntN(hi-lo+1) {
			gen(re.Sub[0], rng, b)
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			gen(s, rng, b)
		}
	case syntax.OpAlternate:
		gen(re.Sub[rng.IntN(len(re.Sub))], rng, b)
	}
}
