package uaparser

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch"
)

// Parser applies a loaded rules file. It is immutable and safe for
// concurrent use.
type Parser struct {
	sem   Semantics
	rules [3][]rule
	set   *uamatch.Set // literals of every rule, scanned once per agent
	words int
	// Rules are numbered globally: user-agent rules, then OS, then device
	// (start[k] is the first number of list k). A rule is a candidate when
	// a literal of its first required set occurs (triggers: literal → rule
	// numbers) or when it has no required literals (always).
	start    [4]int
	triggers [][]uint32
	always   []uint64
	cwords   int
}

// minLiteral is the shortest literal worth a place in the prefilter: one-
// and two-byte literals ("/", ".", "; ") occur in nearly every agent and
// would only slow the scan down.
const minLiteral = 2

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func shortest(lits []string) int {
	n := len(lits[0])
	for _, l := range lits {
		n = min(n, len(l))
	}
	return n
}

// Semantics reports the rule semantics the parser applies.
func (p *Parser) Semantics() Semantics { return p.sem }

// Rules reports the number of user-agent, OS and device rules.
func (p *Parser) Rules() (ua, os, device int) {
	return len(p.rules[kindUA]), len(p.rules[kindOS]), len(p.rules[kindDevice])
}

// Parse compiles a regexes.yaml with the given semantics. Errors wrap
// ErrRules and name the list, index and line of the offending rule.
func Parse(data []byte, sem Semantics) (*Parser, error) {
	return parse(data, sem, true)
}

// parse is Parse; eager false defers compiling each pattern to its first
// use (for rules known to compile).
func parse(data []byte, sem Semantics, eager bool) (*Parser, error) {
	raw, err := readRules(data, sem)
	if err != nil {
		return nil, err
	}
	p := &Parser{sem: sem}
	var needles []string
	ids := map[string]uint32{}
	for k := kindUA; k <= kindDevice; k++ {
		for i, r := range raw[k] {
			ci := sem == UapCore && strings.Contains(r.flag, "i")
			m, err := newLazyMatcher(r.regex, uamatch.JavaFlags{CaseInsensitive: ci}, eager)
			if err != nil {
				return nil, fmt.Errorf("%w: %s[%d] (line %d): %v", ErrRules, k.listName(), i, r.line, err)
			}
			cr := rule{m: m, repl: r.repl}
			// The literals are matched ASCII-case-insensitively (one scan
			// serves case-sensitive and regex_flag 'i' rules alike): still
			// sound, and only slightly weaker for case-sensitive rules.
			{
				if sets, ok := uamatch.RequiredLiterals(r.regex); ok {
					for _, lits := range sets {
						if shortest(lits) < minLiteral {
							continue // occurs nearly everywhere: not worth scanning for
						}
						var set []uint32
						for _, l := range lits {
							l = asciiLower(l)
							id, seen := ids[l]
							if !seen {
								id = uint32(len(needles))
								ids[l] = id
								needles = append(needles, l)
							}
							set = append(set, id)
						}
						cr.reqs = append(cr.reqs, set)
					}
				}
			}
			p.rules[k] = append(p.rules[k], cr)
		}
	}
	p.set = uamatch.NewSet(needles, true)
	p.words = p.set.Words()
	p.triggers = make([][]uint32, len(needles))
	for k := kindUA; k <= kindDevice; k++ {
		p.start[k+1] = p.start[k] + len(p.rules[k])
	}
	p.cwords = (p.start[3] + 63) / 64
	p.always = make([]uint64, p.cwords)
	for k := kindUA; k <= kindDevice; k++ {
		for i := range p.rules[k] {
			g := uint32(p.start[k] + i)
			r := &p.rules[k][i]
			if len(r.reqs) == 0 {
				p.always[g>>6] |= 1 << (g & 63)
				continue
			}
			for _, id := range r.reqs[0] {
				p.triggers[id] = append(p.triggers[id], g)
			}
			r.reqs = r.reqs[1:] // the first set is checked by the trigger
		}
	}
	return p, nil
}

// Result is what ua-parser returned for one agent. Families are never
// empty ("Other" when no rule matched); versions may be null.
type Result struct {
	UAFamily                                string
	UAMajor, UAMinor, UAPatch               NullString
	OSFamily                                string
	OSMajor, OSMinor, OSPatch, OSPatchMinor NullString
	DeviceFamily                            string
}

// Parse applies the rules to ua.
func (p *Parser) Parse(ua string) Result {
	var buf [96]uint64 // on the stack: enough for the embedded uap-core rules
	var seen, cand []uint64
	if p.words+p.cwords <= len(buf) {
		seen, cand = buf[:p.words], buf[p.words:p.words+p.cwords]
	} else {
		seen, cand = make([]uint64, p.words), make([]uint64, p.cwords)
	}
	p.set.Scan(ua, seen)
	copy(cand, p.always)
	for w, bitsW := range seen {
		for bitsW != 0 {
			id := w*64 + bits.TrailingZeros64(bitsW)
			bitsW &= bitsW - 1
			for _, g := range p.triggers[id] {
				cand[g>>6] |= 1 << (g & 63)
			}
		}
	}

	res := Result{UAFamily: "Other", OSFamily: "Other", DeviceFamily: "Other"}
	var out [5]NullString
	if p.first(kindUA, ua, seen, cand, &out) {
		res.UAFamily, res.UAMajor, res.UAMinor, res.UAPatch = out[0].Value, out[1], out[2], out[3]
	}
	if p.first(kindOS, ua, seen, cand, &out) {
		res.OSFamily, res.OSMajor, res.OSMinor, res.OSPatch, res.OSPatchMinor = out[0].Value, out[1], out[2], out[3], out[4]
	}
	if p.first(kindDevice, ua, seen, cand, &out) {
		res.DeviceFamily = out[0].Value
	}
	return res
}

// first applies the candidate rules of one list in order and fills out
// from the first that matches and yields a family.
func (p *Parser) first(k kind, ua string, seen, cand []uint64, out *[5]NullString) bool {
	start, end := p.start[k], p.start[k+1]
	for g := start; g < end; g++ {
		w := cand[g>>6] >> (g & 63)
		if w == 0 {
			g |= 63 // no candidate in the rest of this word
			continue
		}
		g += bits.TrailingZeros64(w)
		if g >= end {
			break
		}
		r := &p.rules[k][g-start]
		if !r.possible(seen) {
			continue
		}
		m := r.m.get()
		if m == nil {
			continue
		}
		loc := m.FindStringSubmatchIndex(ua)
		if loc == nil {
			continue
		}
		var ok bool
		if p.sem == Java130 {
			ok = r.java130(k, ua, loc, out)
		} else {
			ok = r.uapCore(k, ua, loc, out)
		}
		if ok {
			return true
		}
	}
	return false
}

// possible reports whether every further required literal set of the rule
// has a literal in the agent (the first set made it a candidate).
func (r *rule) possible(seen []uint64) bool {
	for _, set := range r.reqs {
		if !anySeen(set, seen) {
			return false
		}
	}
	return true
}

func anySeen(ids []uint32, seen []uint64) bool {
	for _, id := range ids {
		if uamatch.Has(seen, id) {
			return true
		}
	}
	return false
}

// group returns capture group n: null when the pattern has no such group
// or it did not take part.
func group(ua string, loc []int, n int) NullString {
	if 2*n+1 >= len(loc) || loc[2*n] < 0 {
		return NullString{}
	}
	return NullString{ua[loc[2*n]:loc[2*n+1]], true}
}

// java130 is ua-parser 1.3.0's UserAgentParser/OSParser/DeviceParser
// pattern match. It returns false when the family comes out null.
func (r *rule) java130(k kind, ua string, loc []int, out *[5]NullString) bool {
	*out = [5]NullString{}
	fam := r.repl[0]
	switch {
	case fam.Valid && k != kindOS:
		// The first "$1" is substituted when group 1 took part.
		if g := group(ua, loc, 1); g.Valid && strings.Contains(fam.Value, "$1") {
			fam.Value = strings.Replace(fam.Value, "$1", g.Value, 1)
		}
	case !fam.Valid:
		fam = group(ua, loc, 1)
	}
	if !fam.Valid {
		return false
	}
	out[0] = fam
	if k == kindDevice {
		return true
	}
	for v := 1; v <= 2; v++ {
		if r.repl[v].Valid {
			out[v] = r.repl[v]
		} else {
			out[v] = group(ua, loc, v+1)
		}
	}
	switch k {
	case kindUA:
		if !r.repl[2].Valid {
			out[3] = group(ua, loc, 4)
		}
	case kindOS:
		out[3], out[4] = group(ua, loc, 4), group(ua, loc, 5)
	}
	return true
}

// uapCore applies the uap-core specification: every replacement may use
// $1…$9 (a group that did not take part gives ""), results are trimmed,
// and an empty result is null; the first matching rule wins.
func (r *rule) uapCore(k kind, ua string, loc []int, out *[5]NullString) bool {
	*out = [5]NullString{}
	n := 5
	if k == kindUA {
		n = 4
	} else if k == kindDevice {
		n = 1
	}
	for v := 0; v < n; v++ {
		var val string
		if r.repl[v].Valid {
			val = strings.TrimSpace(expand(r.repl[v].Value, ua, loc))
		} else {
			val = group(ua, loc, v+1).Value
		}
		if val != "" {
			out[v] = NullString{val, true}
		}
	}
	if !out[0].Valid {
		out[0] = NullString{"Other", true}
	}
	return true
}

// expand substitutes $1…$9 in a replacement.
func expand(repl, ua string, loc []int) string {
	if strings.IndexByte(repl, '$') < 0 {
		return repl
	}
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c == '$' && i+1 < len(repl) && repl[i+1] >= '1' && repl[i+1] <= '9' {
			b.WriteString(group(ua, loc, int(repl[i+1]-'0')).Value)
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
