package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrPath is wrapped by every JSONPath compile error.
var ErrPath = errors.New("jsonpath: invalid JSONPath")

// Path is a compiled JSONPath expression.
type Path struct {
	src  string
	segs []segment
}

// String returns the expression as written.
func (p *Path) String() string { return p.src }

type segment struct {
	deep bool // recursive descent: apply sel to the node and every descendant
	sel  selector
}

type selKind uint8

const (
	selNames selKind = iota
	selWildcard
	selIndexes
	selSlice
	selFilter
)

type selector struct {
	kind             selKind
	names            []string
	idx              []int
	start, end, step int
	hasStart, hasEnd bool
	filter           expr
}

// maxPathLen bounds an expression (paths come from configuration).
const maxPathLen = 4096

// Compile parses a JSONPath expression.
func Compile(src string) (*Path, error) {
	if len(src) > maxPathLen {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrPath, maxPathLen)
	}
	c := compiler{s: src}
	segs, err := c.path()
	if err != nil {
		return nil, err
	}
	return &Path{src: src, segs: segs}, nil
}

// MustCompile is Compile for expressions known to be valid; it panics
// otherwise.
func MustCompile(src string) *Path {
	p, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return p
}

type compiler struct {
	s     string
	i     int
	depth int
}

func (c *compiler) fail(msg string) error {
	return fmt.Errorf("%w [%s]: %s at position %d", ErrPath, c.s, msg, c.i)
}

func (c *compiler) ws() {
	for c.i < len(c.s) && (c.s[c.i] == ' ' || c.s[c.i] == '\t') {
		c.i++
	}
}

// path reads "$" followed by segments, up to the end of the input.
func (c *compiler) path() ([]segment, error) {
	c.ws()
	if c.i >= len(c.s) || c.s[c.i] != '$' {
		return nil, c.fail("a path must start with '$'")
	}
	c.i++
	segs, err := c.segments(false)
	if err != nil {
		return nil, err
	}
	c.ws()
	if c.i != len(c.s) {
		return nil, c.fail(fmt.Sprintf("unexpected character %q", c.s[c.i]))
	}
	return segs, nil
}

// segments reads segments until the input ends or, in a filter, a
// character that cannot continue a path.
func (c *compiler) segments(inFilter bool) ([]segment, error) {
	var segs []segment
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case '.':
			deep := false
			if strings.HasPrefix(c.s[c.i:], "..") {
				deep = true
				c.i += 2
			} else {
				c.i++
			}
			if c.i >= len(c.s) {
				return nil, c.fail("path ends after '.'")
			}
			switch ch := c.s[c.i]; {
			case ch == '*':
				c.i++
				segs = append(segs, segment{deep, selector{kind: selWildcard}})
			case ch == '[':
				sel, err := c.bracket()
				if err != nil {
					return nil, err
				}
				segs = append(segs, segment{deep, sel})
			case ch == '.':
				return nil, c.fail("unexpected '.'")
			default:
				name := c.name()
				if name == "" {
					return nil, c.fail(fmt.Sprintf("unexpected character %q after '.'", ch))
				}
				if strings.HasPrefix(c.s[c.i:], "(") {
					return nil, c.fail("functions are not supported")
				}
				segs = append(segs, segment{deep, selector{kind: selNames, names: []string{name}}})
			}
		case '[':
			sel, err := c.bracket()
			if err != nil {
				return nil, err
			}
			segs = append(segs, segment{false, sel})
		default:
			if inFilter {
				return segs, nil
			}
			return nil, c.fail(fmt.Sprintf("unexpected character %q", c.s[c.i]))
		}
	}
	return segs, nil
}

// name reads a dot-notation member name.
func (c *compiler) name() string {
	start := c.i
	for c.i < len(c.s) && !strings.ContainsRune(".[]()'\"=!<>&|, \t*?@$", rune(c.s[c.i])) {
		c.i++
	}
	return c.s[start:c.i]
}

// bracket reads "[ … ]".
func (c *compiler) bracket() (selector, error) {
	c.i++ // [
	c.ws()
	if c.i >= len(c.s) {
		return selector{}, c.fail("unterminated '['")
	}
	var sel selector
	switch ch := c.s[c.i]; {
	case ch == '*':
		c.i++
		sel = selector{kind: selWildcard}
	case ch == '\'' || ch == '"':
		sel.kind = selNames
		for {
			c.ws()
			n, err := c.quoted()
			if err != nil {
				return selector{}, err
			}
			sel.names = append(sel.names, n)
			c.ws()
			if c.i < len(c.s) && c.s[c.i] == ',' {
				c.i++
				continue
			}
			break
		}
	case ch == '?':
		c.i++
		c.ws()
		if c.i >= len(c.s) || c.s[c.i] != '(' {
			return selector{}, c.fail("expected '(' after '?'")
		}
		c.i++
		e, err := c.orExpr()
		if err != nil {
			return selector{}, err
		}
		c.ws()
		if c.i >= len(c.s) || c.s[c.i] != ')' {
			return selector{}, c.fail("expected ')' closing the filter")
		}
		c.i++
		sel = selector{kind: selFilter, filter: e}
	case ch == '-' || ch == ':' || (ch >= '0' && ch <= '9'):
		var err error
		sel, err = c.indexes()
		if err != nil {
			return selector{}, err
		}
	default:
		return selector{}, c.fail(fmt.Sprintf("unexpected character %q after '['", ch))
	}
	c.ws()
	if c.i >= len(c.s) || c.s[c.i] != ']' {
		return selector{}, c.fail("expected ']'")
	}
	c.i++
	return sel, nil
}

func (c *compiler) quoted() (string, error) {
	if c.i >= len(c.s) || (c.s[c.i] != '\'' && c.s[c.i] != '"') {
		return "", c.fail("expected a quoted name")
	}
	q := c.s[c.i]
	c.i++
	var b strings.Builder
	for c.i < len(c.s) {
		ch := c.s[c.i]
		switch {
		case ch == q:
			c.i++
			return b.String(), nil
		case ch == '\\' && c.i+1 < len(c.s):
			b.WriteByte(c.s[c.i+1])
			c.i += 2
		default:
			b.WriteByte(ch)
			c.i++
		}
	}
	return "", c.fail("unterminated quoted name")
}

func (c *compiler) int() (int, bool, error) {
	start := c.i
	if c.i < len(c.s) && c.s[c.i] == '-' {
		c.i++
	}
	for c.i < len(c.s) && c.s[c.i] >= '0' && c.s[c.i] <= '9' {
		c.i++
	}
	if c.i == start {
		return 0, false, nil
	}
	n, err := strconv.Atoi(c.s[start:c.i])
	if err != nil || n > 1<<31-1 || n < -(1<<31) {
		return 0, false, c.fail("index out of range")
	}
	return n, true, nil
}

// indexes reads "1", "1,2", "1:3", ":2", "::2", "-1:".
func (c *compiler) indexes() (selector, error) {
	first, ok, err := c.int()
	if err != nil {
		return selector{}, err
	}
	c.ws()
	if c.i < len(c.s) && c.s[c.i] == ':' {
		sel := selector{kind: selSlice, start: first, hasStart: ok, step: 1}
		c.i++
		c.ws()
		if sel.end, sel.hasEnd, err = c.int(); err != nil {
			return selector{}, err
		}
		c.ws()
		if c.i < len(c.s) && c.s[c.i] == ':' {
			c.i++
			c.ws()
			step, ok, err := c.int()
			if err != nil {
				return selector{}, err
			}
			if ok {
				if step == 0 {
					return selector{}, c.fail("slice step cannot be zero")
				}
				sel.step = step
			}
		}
		return sel, nil
	}
	if !ok {
		return selector{}, c.fail("expected an index")
	}
	sel := selector{kind: selIndexes, idx: []int{first}}
	for c.i < len(c.s) && c.s[c.i] == ',' {
		c.i++
		c.ws()
		n, ok, err := c.int()
		if err != nil {
			return selector{}, err
		}
		if !ok {
			return selector{}, c.fail("expected an index after ','")
		}
		sel.idx = append(sel.idx, n)
		c.ws()
	}
	return sel, nil
}

// loc is one match: the value and where it sits (parent nil for the root).
type loc struct {
	parent *Value
	index  int // element index, or member index in parent.Obj
	v      *Value
}

func (l loc) set(nv *Value) {
	switch l.parent.Kind {
	case Array:
		l.parent.Arr[l.index] = nv
	case Object:
		l.parent.Obj[l.index].Value = nv
	}
}

// Query returns the values the path selects in root, in document order
// (nil when none).
func (p *Path) Query(root *Value) []*Value {
	if root == nil {
		return nil
	}
	locs := p.eval(root)
	if len(locs) == 0 {
		return nil
	}
	out := make([]*Value, len(locs))
	for i, l := range locs {
		out[i] = l.v
	}
	return out
}

// Map replaces every value the path selects in root by f(value) and
// returns how many were replaced. The root itself is never replaced
// (Jayway cannot map the root object either).
func (p *Path) Map(root *Value, f func(*Value) *Value) int {
	if root == nil {
		return 0
	}
	n := 0
	for _, l := range p.eval(root) {
		if l.parent == nil {
			continue
		}
		l.set(f(l.v))
		n++
	}
	return n
}

func (p *Path) eval(root *Value) []loc {
	return evalSegments(p.segs, []loc{{v: root}}, root)
}

func evalSegments(segs []segment, cur []loc, root *Value) []loc {
	for _, s := range segs {
		var next []loc
		for _, l := range cur {
			if s.deep {
				next = deepApply(s.sel, l, root, next, 0)
			} else {
				next = apply(s.sel, l, root, next, false)
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	return cur
}

func deepApply(sel selector, l loc, root *Value, out []loc, depth int) []loc {
	if depth > maxDepth {
		return out
	}
	out = apply(sel, l, root, out, true)
	v := l.v
	switch v.Kind {
	case Object:
		for i := range v.Obj {
			out = deepApply(sel, loc{v, i, v.Obj[i].Value}, root, out, depth+1)
		}
	case Array:
		for i, e := range v.Arr {
			out = deepApply(sel, loc{v, i, e}, root, out, depth+1)
		}
	}
	return out
}

func apply(sel selector, l loc, root *Value, out []loc, deep bool) []loc {
	v := l.v
	switch sel.kind {
	case selNames:
		if v.Kind != Object {
			return out
		}
		for _, n := range sel.names {
			for i := range v.Obj {
				if v.Obj[i].Key == n {
					out = append(out, loc{v, i, v.Obj[i].Value})
					break
				}
			}
		}
	case selWildcard:
		switch v.Kind {
		case Object:
			for i := range v.Obj {
				out = append(out, loc{v, i, v.Obj[i].Value})
			}
		case Array:
			for i, e := range v.Arr {
				out = append(out, loc{v, i, e})
			}
		}
	case selIndexes:
		if v.Kind != Array {
			return out
		}
		for _, i := range sel.idx {
			if i < 0 {
				i += len(v.Arr)
			}
			if i >= 0 && i < len(v.Arr) {
				out = append(out, loc{v, i, v.Arr[i]})
			}
		}
	case selSlice:
		if v.Kind != Array {
			return out
		}
		for _, i := range sliceIndexes(sel, len(v.Arr)) {
			out = append(out, loc{v, i, v.Arr[i]})
		}
	case selFilter:
		switch v.Kind {
		case Array:
			for i, e := range v.Arr {
				if sel.filter.test(e, root) {
					out = append(out, loc{v, i, e})
				}
			}
		case Object:
			if !deep && sel.filter.test(v, root) {
				out = append(out, l)
			}
		}
	}
	return out
}

// sliceIndexes returns the indexes of a Python-style slice.
func sliceIndexes(sel selector, n int) []int {
	norm := func(i int) int {
		if i < 0 {
			i += n
		}
		return i
	}
	var out []int
	if sel.step > 0 {
		start, end := 0, n
		if sel.hasStart {
			start = max(norm(sel.start), 0)
		}
		if sel.hasEnd {
			end = min(norm(sel.end), n)
		}
		for i := start; i < end; i += sel.step {
			out = append(out, i)
		}
		return out
	}
	start, end := n-1, -1
	if sel.hasStart {
		start = min(norm(sel.start), n-1)
	}
	if sel.hasEnd {
		end = max(norm(sel.end), -1)
	}
	for i := start; i > end; i += sel.step {
		out = append(out, i)
	}
	return out
}
