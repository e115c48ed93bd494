package iglu

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeValue checks decodeValue against encoding/json with UseNumber:
// the same documents are accepted and give the same values.
//
//	go test ./iglu -run '^$' -fuzz FuzzDecodeValue
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e-3`, `-12E+2`, `"a"`,
		`{"a": [1, "x", {"b": null}], "c": true}`,
		`"\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`,
		"\"\xff\xfe\"", "\"caf\xc3\xa9\"", `01`, `1.`, `.5`, `-`, `1e`, `[1,]`, `{"a":1,}`, `{"a" 1}`,
		`{"a":1}{}`, `  [ 1 , 2 ]  `, "\"a\tb\"", `nul`, `"\x"`, `"\u12"`, `{"a":1,"a":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeValue(b)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want any
		werr := dec.Decode(&want)
		valid := json.Valid(b) // exactly one value, JSON whitespace around it
		if (err == nil) != valid || (valid && werr != nil) {
			t.Fatalf("%q: decodeValue error %v, encoding/json valid %v, decode error %v", b, err, valid, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: decodeValue %#v, encoding/json %#v", b, got, want)
		}
	})
}
