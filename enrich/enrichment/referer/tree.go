package referer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// tree is a decoded YAML or JSON document with mapping order kept and
// repeated keys resolved the way SnakeYAML's LinkedHashMap did: the later
// value replaces the earlier one at the earlier position.
type tree struct {
	kind  treeKind
	str   string   // scalar
	keys  []string // mapping, in first-occurrence order
	vals  []*tree  // mapping values, parallel to keys
	items []*tree  // sequence
	line  int      // 1-based line in the source (0 for JSON)
}

type treeKind uint8

const (
	kindNull treeKind = iota
	kindScalar
	kindMapping
	kindSequence
)

func (t *tree) where() string {
	if t != nil && t.line > 0 {
		return fmt.Sprintf(" (line %d)", t.line)
	}
	return ""
}

// set adds key → v, replacing the value of an existing key in place.
func (t *tree) set(key string, v *tree) {
	for i, k := range t.keys {
		if k == key {
			t.vals[i] = v
			return
		}
	}
	t.keys = append(t.keys, key)
	t.vals = append(t.vals, v)
}

func (t *tree) get(key string) *tree {
	for i, k := range t.keys {
		if k == key {
			return t.vals[i]
		}
	}
	return nil
}

// fromYAML decodes a YAML document without yaml.v3's duplicate-key check:
// the yaml.Node tree is walked and repeated keys resolved by set.
func fromYAML(data []byte) (*tree, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decoding YAML: %w", err)
	}
	if doc.Kind == 0 {
		return nil, errors.New("decoding YAML: empty document")
	}
	budget := maxNodes
	return convertYAML(&doc, 0, &budget)
}

// maxNodes bounds the nodes of a converted document, so that aliases
// referring to aliases cannot expand it exponentially.
const maxNodes = 1 << 20

func convertYAML(n *yaml.Node, depth int, budget *int) (*tree, error) {
	if depth > 64 {
		return nil, fmt.Errorf("YAML nested too deeply (line %d)", n.Line)
	}
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("YAML document expands to more than %d nodes (aliases?)", maxNodes)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &tree{kind: kindNull, line: n.Line}, nil
		}
		return convertYAML(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		return convertYAML(n.Alias, depth+1, budget)
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return &tree{kind: kindNull, line: n.Line}, nil
		}
		return &tree{kind: kindScalar, str: n.Value, line: n.Line}, nil
	case yaml.SequenceNode:
		t := &tree{kind: kindSequence, line: n.Line}
		for _, c := range n.Content {
			ct, err := convertYAML(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			t.items = append(t.items, ct)
		}
		return t, nil
	case yaml.MappingNode:
		t := &tree{kind: kindMapping, line: n.Line}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("mapping key is not a scalar (line %d)", k.Line)
			}
			vt, err := convertYAML(v, depth+1, budget)
			if err != nil {
				return nil, err
			}
			t.set(k.Value, vt)
		}
		return t, nil
	}
	return nil, fmt.Errorf("unsupported YAML node (line %d)", n.Line)
}

// fromJSON decodes a JSON document keeping object key order (repeated
// keys: the later value at the earlier position).
func fromJSON(data []byte) (*tree, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	t, err := jsonValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("decoding JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decoding JSON: data after the top-level value")
	}
	return t, nil
}

func jsonValue(dec *json.Decoder, depth int) (*tree, error) {
	if depth > 64 {
		return nil, errors.New("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case nil:
		return &tree{kind: kindNull}, nil
	case string:
		return &tree{kind: kindScalar, str: v}, nil
	case json.Number:
		return &tree{kind: kindScalar, str: v.String()}, nil
	case bool:
		return &tree{kind: kindScalar, str: fmt.Sprint(v)}, nil
	case json.Delim:
		switch v {
		case '{':
			t := &tree{kind: kindMapping}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				val, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				t.set(key, val)
			}
			_, err := dec.Token() // '}'
			return t, err
		case '[':
			t := &tree{kind: kindSequence}
			for dec.More() {
				item, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				t.items = append(t.items, item)
			}
			_, err := dec.Token() // ']'
			return t, err
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
