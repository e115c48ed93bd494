package collector

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

func isValidUTF8(b []byte) bool { return utf8.Valid(b) }

// FuzzCloudFrontQueryFastPath: the one-pass CloudFront querystring parser
// agrees with the step-by-step one (singleEncodePcts, then java.net.URI
// validation, then the httpclient split and decoding).
func FuzzCloudFrontQueryFastPath(f *testing.F) {
	for _, s := range []string{
		"e=pv&page=Shoes%2520%2526%2520Boots&url=https%253A%252F%252Fx", "=x&e=pv;tv=1&&flag#frag=1", "a=%25zz%2",
		"a=%252541%25%2541", "x=é&y=%E9", "a=b#c#d", "a+b=c+d==e", "%2", "a=%C3%A9%2525", "#", "&&&", "a=\u00a0",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !isValidUTF8(raw) {
			raw = appendJavaUTF8(nil, raw)
		}
		fa, fp, ok := parseCloudFrontQuery(nil, raw, nil)
		q, _ := appendSingleEncodePcts(nil, raw)
		var sa []byte
		sp, msg := parseQuery(&sa, q, csUTF8, nil)
		if ok != (msg == "") {
			t.Fatalf("%q: fast ok=%v, step by step %q", raw, ok, msg)
		}
		if !ok {
			if len(fa) != 0 || len(fp) != 0 {
				t.Fatal("failed fast path left output")
			}
			return
		}
		if !reflect.DeepEqual(nameValues(string(fa), fp), nameValues(string(sa), sp)) {
			t.Fatalf("%q:\n fast %v\n step %v", raw, nameValues(string(fa), fp), nameValues(string(sa), sp))
		}
	})
}
