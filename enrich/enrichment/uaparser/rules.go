package uaparser

import (
	"errors"
	"fmt"
	"sync"

	"github.com/furrowdata/furrow/enrich/enrichment/uautils/uamatch"
	"gopkg.in/yaml.v3"
)

// ErrRules is returned (wrapped) for a rules file that cannot be used.
var ErrRules = errors.New("uaparser: invalid rules")

// Semantics selects how rules are applied.
type Semantics uint8

const (
	// Java130 is ua-parser Java 1.3.0, what R108 ran (see the package doc).
	Java130 Semantics = iota
	// UapCore is the uap-core specification, for modern rules files.
	UapCore
)

func (s Semantics) String() string {
	if s == UapCore {
		return "uap-core"
	}
	return "java-1.3.0"
}

// NullString is an optional string: a version part that may be null (or,
// internally, a replacement that may be absent).
type NullString struct {
	Value string
	Valid bool // false: null / absent
}

type kind uint8

const (
	kindUA kind = iota
	kindOS
	kindDevice
)

func (k kind) listName() string {
	return [...]string{"user_agent_parsers", "os_parsers", "device_parsers"}[k]
}

// rule is one compiled rule. repl holds the replacements in the order
// family, v1, v2, v3, v4 (for a device only family is used).
type rule struct {
	m *lazyMatcher
	// reqs: prefilter needle ids, one slice per required set (the regex
	// can only match when a needle of every set occurs); nil: always try.
	reqs [][]uint32
	repl [5]NullString
}

// lazyMatcher compiles a rule's pattern on first use. Compiling the ~1,000
// patterns of a rules file takes most of a second while an input touches a
// few dozen rules, so the embedded rules (known to compile: see
// TestDifferentialEmbedded) are compiled when a candidate agent first
// needs them; rules read from a file are compiled by Parse, which reports
// the first bad pattern.
type lazyMatcher struct {
	once  sync.Once
	m     *uamatch.Matcher
	err   error
	expr  string
	flags uamatch.JavaFlags
}

func newLazyMatcher(expr string, f uamatch.JavaFlags, eager bool) (*lazyMatcher, error) {
	l := &lazyMatcher{expr: expr, flags: f}
	if eager {
		l.once.Do(l.compile)
	}
	return l, l.err
}

func (l *lazyMatcher) compile() { l.m, l.err = uamatch.CompileMatcher(l.expr, l.flags) }

// get returns the compiled matcher, nil when the pattern does not compile
// (never for an eagerly compiled rule).
func (l *lazyMatcher) get() *uamatch.Matcher {
	l.once.Do(l.compile)
	return l.m
}

// replacement keys per kind, in repl order.
var replacementKeys = [3][5]string{
	{"family_replacement", "v1_replacement", "v2_replacement", "v3_replacement", ""},
	{"os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement", "os_v4_replacement"},
	{"device_replacement", "", "", "", ""},
}

// rawRule is a rule as read from the YAML.
type rawRule struct {
	regex string
	flag  string
	repl  [5]NullString
	line  int
}

// readRules decodes a regexes.yaml. Keys of a mapping that appear twice
// keep the later value (SnakeYAML); scalars are read as strings; a null
// value counts as absent. Missing lists are errors under Java130.
func readRules(data []byte, sem Semantics) ([3][]rawRule, error) {
	var out [3][]rawRule
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return out, fmt.Errorf("%w: decoding YAML: %v", ErrRules, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return out, fmt.Errorf("%w: top level is not a mapping", ErrRules)
	}
	top := lastWins(doc.Content[0])
	for k := kindUA; k <= kindDevice; k++ {
		list, ok := top[k.listName()]
		if !ok || list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
			if sem == Java130 {
				return out, fmt.Errorf("%w: no %s list", ErrRules, k.listName())
			}
			continue
		}
		if list.Kind != yaml.SequenceNode {
			return out, fmt.Errorf("%w: %s (line %d): not a list", ErrRules, k.listName(), list.Line)
		}
		for i, item := range list.Content {
			where := fmt.Sprintf("%s[%d] (line %d)", k.listName(), i, item.Line)
			if item.Kind != yaml.MappingNode {
				return out, fmt.Errorf("%w: %s: not a mapping", ErrRules, where)
			}
			fields := lastWins(item)
			r := rawRule{line: item.Line}
			str := func(key string) (NullString, error) {
				n, ok := fields[key]
				if !ok || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
					return NullString{}, nil
				}
				if n.Kind != yaml.ScalarNode {
					return NullString{}, fmt.Errorf("%w: %s: %s is not a string", ErrRules, where, key)
				}
				return NullString{n.Value, true}, nil
			}
			re, err := str("regex")
			if err != nil {
				return out, err
			}
			if !re.Valid {
				return out, fmt.Errorf("%w: %s: no regex", ErrRules, where)
			}
			r.regex = re.Value
			flag, err := str("regex_flag")
			if err != nil {
				return out, err
			}
			r.flag = flag.Value
			for j, key := range replacementKeys[k] {
				if key == "" {
					continue
				}
				if r.repl[j], err = str(key); err != nil {
					return out, err
				}
			}
			out[k] = append(out[k], r)
		}
	}
	return out, nil
}

// lastWins indexes a mapping node's values by key; a repeated key keeps
// its later value.
func lastWins(m *yaml.Node) map[string]*yaml.Node {
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		v := m.Content[i+1]
		for v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		out[m.Content[i].Value] = v
	}
	return out
}
