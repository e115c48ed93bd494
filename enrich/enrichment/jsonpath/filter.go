package jsonpath

import (
	"fmt"
	"strconv"
	"strings"
)

// expr is a filter expression, tested against the current node (@).
type expr interface {
	test(cur, root *Value) bool
}

type orExpr struct{ l, r expr }
type andExpr struct{ l, r expr }
type notExpr struct{ e expr }

func (e orExpr) test(cur, root *Value) bool  { return e.l.test(cur, root) || e.r.test(cur, root) }
func (e andExpr) test(cur, root *Value) bool { return e.l.test(cur, root) && e.r.test(cur, root) }
func (e notExpr) test(cur, root *Value) bool { return !e.e.test(cur, root) }

// operand is a relative (@) or absolute ($) path, or a literal.
type operand struct {
	fromRoot bool
	segs     []segment
	lit      *Value // non-nil for a literal
}

func (o operand) values(cur, root *Value) []*Value {
	if o.lit != nil {
		return []*Value{o.lit}
	}
	start := cur
	if o.fromRoot {
		start = root
	}
	locs := evalSegments(o.segs, []loc{{v: start}}, root)
	out := make([]*Value, len(locs))
	for i, l := range locs {
		out[i] = l.v
	}
	return out
}

// existsExpr is "@.a": true when the path selects something.
type existsExpr struct{ o operand }

func (e existsExpr) test(cur, root *Value) bool { return len(e.o.values(cur, root)) > 0 }

type cmpExpr struct {
	op   string
	l, r operand
}

func (e cmpExpr) test(cur, root *Value) bool {
	lv, rv := e.l.values(cur, root), e.r.values(cur, root)
	if len(lv) == 0 || len(rv) == 0 {
		return false // a missing value satisfies no comparison (as Jayway)
	}
	return compare(e.op, lv[0], rv[0])
}

func number(v *Value) (float64, bool) {
	switch v.Kind {
	case Int:
		f, err := strconv.ParseFloat(v.Num, 64)
		return f, err == nil
	case Float:
		return v.Float, true
	}
	return 0, false
}

func compare(op string, a, b *Value) bool {
	var c int
	switch {
	case a.Kind == Null && b.Kind == Null:
		c = 0
	case a.Kind == Bool && b.Kind == Bool:
		if a.Bool == b.Bool {
			c = 0
		} else if op == "==" || op == "!=" {
			c = 1
		} else {
			return false
		}
	case a.Kind == String && b.Kind == String:
		c = strings.Compare(a.Str, b.Str)
	default:
		x, okx := number(a)
		y, oky := number(b)
		if !okx || !oky {
			return op == "!="
		}
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	}
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func (c *compiler) orExpr() (expr, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 64 {
		return nil, c.fail("filter nested too deeply")
	}
	l, err := c.andExpr()
	if err != nil {
		return nil, err
	}
	for {
		c.ws()
		if !strings.HasPrefix(c.s[c.i:], "||") {
			return l, nil
		}
		c.i += 2
		r, err := c.andExpr()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
}

func (c *compiler) andExpr() (expr, error) {
	l, err := c.unary()
	if err != nil {
		return nil, err
	}
	for {
		c.ws()
		if !strings.HasPrefix(c.s[c.i:], "&&") {
			return l, nil
		}
		c.i += 2
		r, err := c.unary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
}

func (c *compiler) unary() (expr, error) {
	c.ws()
	if c.i >= len(c.s) {
		return nil, c.fail("unterminated filter")
	}
	switch c.s[c.i] {
	case '!':
		if !strings.HasPrefix(c.s[c.i:], "!=") {
			c.i++
			e, err := c.unary()
			if err != nil {
				return nil, err
			}
			return notExpr{e}, nil
		}
	case '(':
		c.i++
		e, err := c.orExpr()
		if err != nil {
			return nil, err
		}
		c.ws()
		if c.i >= len(c.s) || c.s[c.i] != ')' {
			return nil, c.fail("expected ')'")
		}
		c.i++
		return e, nil
	}
	l, err := c.operand()
	if err != nil {
		return nil, err
	}
	c.ws()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(c.s[c.i:], op) {
			c.i += len(op)
			c.ws()
			r, err := c.operand()
			if err != nil {
				return nil, err
			}
			return cmpExpr{op, l, r}, nil
		}
	}
	if l.lit != nil {
		return nil, c.fail("a literal is not a condition")
	}
	return existsExpr{l}, nil
}

func (c *compiler) operand() (operand, error) {
	c.ws()
	if c.i >= len(c.s) {
		return operand{}, c.fail("expected an operand")
	}
	switch ch := c.s[c.i]; {
	case ch == '@' || ch == '$':
		c.i++
		segs, err := c.segments(true)
		if err != nil {
			return operand{}, err
		}
		return operand{fromRoot: ch == '$', segs: segs}, nil
	case ch == '\'' || ch == '"':
		s, err := c.quoted()
		if err != nil {
			return operand{}, err
		}
		return operand{lit: NewString(s)}, nil
	case ch == '-' || (ch >= '0' && ch <= '9'):
		start := c.i
		c.i++
		for c.i < len(c.s) && strings.IndexByte("0123456789.eE+-", c.s[c.i]) >= 0 {
			c.i++
		}
		v, err := Parse(c.s[start:c.i])
		if err != nil || (v.Kind != Int && v.Kind != Float) {
			return operand{}, c.fail("invalid number")
		}
		return operand{lit: v}, nil
	}
	for _, w := range []struct {
		word string
		v    Value
	}{{"true", Value{Kind: Bool, Bool: true}}, {"false", Value{Kind: Bool}}, {"null", Value{Kind: Null}}} {
		if strings.HasPrefix(c.s[c.i:], w.word) {
			c.i += len(w.word)
			v := w.v
			return operand{lit: &v}, nil
		}
	}
	return operand{}, c.fail(fmt.Sprintf("unexpected character %q in a filter", c.s[c.i]))
}
