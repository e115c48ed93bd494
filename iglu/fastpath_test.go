package iglu

import (
	"context"
	"errors"
	"testing"

	"github.com/furrowdata/furrow/event"
)

// fastSchemas resolves the schemas of testdata/fast, which exercise every
// keyword of the validation fast path, plus one it must leave alone.
func fastSchemas(t testing.TB) map[string]*Schema {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Repositories = append(cfg.Repositories, Repository{Name: "fast", Priority: 0, Folder: "testdata/fast"})
	r, err := NewResolver(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Schema{}
	for _, name := range []string{"kitchen", "open", "slow"} {
		s, err := r.Lookup(context.Background(), event.SchemaKey{Vendor: "com.acme.fast", Name: name, Format: "jsonschema", Version: event.SchemaVer{Model: 1}})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = s
	}
	return out
}

// fastCases are documents with the verdict the full validator gives
// (valid) and whether the fast path must reach it on its own (fast).
var fastCases = []struct {
	schema, doc string
	valid, fast bool
}{
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3}`, true, true},
	{"kitchen", ` { "id" : "a4583919-4df8-496a-917b-d40fa1c8ca7f" , "count" : 0 } `, true, true},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"when":"2024-02-29T12:00:00.123Z","link":"https://example.com/a?b=c","mail":"a@b.example","ip":"10.0.0.1","code":"page_view","slug":"ab-é","tier":"gold","flag":true,"big":9007199254740992,"price":999.99,"ratio":-1,"anything":{"a":[1,"x",null]},"tags":["a","\u00fc"],"nested":{"x":1,"y":null,"z":"abc"},"list":[{"k":"v"},{}]}`, true, true},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"when":null,"tier":null}`, true, true},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"tier":true}`, true, true},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3.0}`, true, true},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":1e1}`, true, true},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"slug":"\u0061b"}`, true, true},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"tier":3}`, true, false}, // number in an enum
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"count":4}`, true, true},
	// Invalid documents: the fast path must never accept them.
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"count":-4}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f"}`, false, false},
	{"kitchen", `{"id":"nope","count":3}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3.5}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":101}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"big":9007199254740993}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"price":1000}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"price":0.4}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"slug":"a"}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"slug":"abcdéfghi"}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"code":"tmp_x"}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"tier":"iron"}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"tier":false}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"tags":[]}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"tags":["a","b","a","b"]}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"nested":{"y":1}}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"nested":{"x":1,"z":"abcd"}}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"list":[{"k":1}]}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"other":1}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"link":"a b"}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3}x`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":03}`, false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"anything":tru}`, false, false},
	{"kitchen", "{\"id\":\"a4583919-4df8-496a-917b-d40fa1c8ca7f\",\"count\":3,\"anything\":\"a\x01\"}", false, false},
	{"kitchen", `{"id":"a4583919-4df8-496a-917b-d40fa1c8ca7f","count":3,"anything":"\x"}`, false, false},
	{"kitchen", `[]`, false, false},
	{"kitchen", ``, false, false},
	{"open", `{"name":"abc","extra":[1,{"b":null}],"n":1.5}`, true, true},
	{"open", `{"name":"abc","extra":1,"n":2e0}`, true, true},
	{"open", `{"name":"abc"}`, false, false},
	{"open", `{"name":"abcdef","extra":1}`, false, false},
	{"open", `{"name":"abc","extra":1,"n":1.49}`, false, false},
	{"slow", `{"a":"x","b":0.07}`, true, false},
	{"slow", `{"a":1.5}`, false, false},
}

// TestFastPath checks the fast path against the full validator on
// documents whose verdict is known, and that it decides the common valid
// documents on its own.
func TestFastPath(t *testing.T) {
	schemas := fastSchemas(t)
	if schemas["kitchen"].fast == nil || schemas["open"].fast == nil {
		t.Fatal("the fast path was not built for schemas of the keywords it models")
	}
	if schemas["slow"].fast != nil {
		t.Fatal("the fast path was built for a schema with anyOf and multipleOf")
	}
	for _, c := range fastCases {
		s := schemas[c.schema]
		full := s.validateFull([]byte(c.doc))
		if (full == nil) != c.valid {
			t.Errorf("%s %s: full validator says %v, the case says valid=%v", c.schema, c.doc, full, c.valid)
		}
		fast := s.fast != nil && s.fast.validDoc(c.doc)
		if fast != c.fast {
			t.Errorf("%s %s: fast path says %v, want %v", c.schema, c.doc, fast, c.fast)
		}
		err1, err2 := s.Validate([]byte(c.doc)), s.ValidateString(c.doc)
		if (err1 == nil) != c.valid || (err2 == nil) != c.valid {
			t.Errorf("%s %s: Validate = %v, ValidateString = %v, want valid=%v", c.schema, c.doc, err1, err2, c.valid)
		}
		if err1 != nil && err2 != nil && err1.Error() != err2.Error() {
			t.Errorf("%s %s: Validate and ValidateString word the error differently:\n%v\n%v", c.schema, c.doc, err1, err2)
		}
		if err1 != nil && !errors.Is(err1, ErrInvalidData) {
			t.Errorf("%s %s: error %v does not wrap ErrInvalidData", c.schema, c.doc, err1)
		}
	}
}

// FuzzFastPath checks that the fast path never accepts a document that the
// decoder or the full validator rejects.
//
//	go test ./iglu -run '^$' -fuzz FuzzFastPath -fuzztime 5m
func FuzzFastPath(f *testing.F) {
	schemas := fastSchemas(f)
	names := []string{"kitchen", "open", "slow"}
	for _, c := range fastCases {
		for i, n := range names {
			if n == c.schema {
				f.Add(uint8(i), c.doc)
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, doc string) {
		s := schemas[names[int(which)%len(names)]]
		if s.fast == nil || !s.fast.validDoc(doc) {
			return
		}
		if err := s.validateFull([]byte(doc)); err != nil {
			t.Fatalf("fast path accepted %q, the full validator rejects it: %v", doc, err)
		}
	})
}

// TestIsUUID checks isUUID against the library's "uuid" format.
func TestIsUUID(t *testing.T) {
	schemas := fastSchemas(t)
	format := schemas["kitchen"].fast.props["id"].node.format
	for _, s := range []string{
		"a4583919-4df8-496a-917b-d40fa1c8ca7f", "A4583919-4DF8-496A-917B-D40FA1C8CA7F", "",
		"a4583919-4df8-496a-917b-d40fa1c8ca7", "a4583919-4df8-496a-917b-d40fa1c8ca7ff", "a4583919-4df8-496a-917bd-40fa1c8ca7f",
		"a4583919-4df8-496a-917b-d40fa1c8ca7g", "a4583919x4df8-496a-917b-d40fa1c8ca7f", "a4583919-4df8-496a-917b-d40fa1c8c-7f",
		"é4583919-4df8-496a-917b-d40fa1c8ca7", "a4583919-4df8-496a-917b-d40fa1c8ca7\x00",
	} {
		if got, want := isUUID(s), format.Validate(s) == nil; got != want {
			t.Errorf("isUUID(%q) = %v, the library says %v", s, got, want)
		}
	}
}
