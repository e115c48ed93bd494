package javautil

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHexVal(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := strings.IndexByte("0123456789abcdef", byte(c))
		if want < 0 {
			want = strings.IndexByte("0123456789ABCDEF", byte(c))
		}
		if got := HexVal(byte(c)); got != want {
			t.Errorf("HexVal(%q) = %d, want %d", byte(c), got, want)
		}
	}
}

// TestUTF8 checks the replacement of malformed input against what
// new String(bytes, UTF_8) returned on the JVM (OpenJDK 17; Java 8's
// sun.nio.cs.UTF_8 has the same rules).
func TestUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"ok é":                "ok é",
		"ok \xf0\x9f\x98\x80": "ok 😀",
		"\xe2\x82A":           "\uFFFDA", // a truncated sequence is one replacement
		"\xffA":               "\uFFFDA",
		"\xFF\xFEx":           "\uFFFD\uFFFDx",
		"x\xF0\x9F\x98":       "x\uFFFD",
		"\xC3(":               "\uFFFD(",
		"\xED\xA0\x80":        "\uFFFD", // an encoded surrogate: one for its three bytes
		"\xED\xA0\x80tail":    "\uFFFDtail",
		"\xE0\x80":            "\uFFFD\uFFFD", // E0 80 cannot start a character
		"\xE1\x80":            "\uFFFD",
		"\xE0\x80\x80":        "\uFFFD\uFFFD\uFFFD",
		"\xF0\x90\x80":        "\uFFFD",
		"\xF4\x90\x80\x80":    "\uFFFD\uFFFD\uFFFD\uFFFD", // above U+10FFFF
		"\xF5\x80":            "\uFFFD\uFFFD",
		"\xC0\x80":            "\uFFFD\uFFFD", // overlong
		"\xE1\x80A":           "\uFFFDA",
		"\xF1\x80\x80A":       "\uFFFDA",
		"\xF1\x80":            "\uFFFD",
		"\xF1":                "\uFFFD",
	} {
		if got := UTF8([]byte(in)); got != want {
			t.Errorf("UTF8(%q) = %q, want %q", in, got, want)
		}
		if got := UTF8String(in); got != want {
			t.Errorf("UTF8String(%q) = %q, want %q", in, got, want)
		}
		if got := string(AppendUTF8([]byte("pre"), []byte(in))); got != "pre"+want {
			t.Errorf("AppendUTF8(pre, %q) = %q, want %q", in, got, "pre"+want)
		}
	}
}

func TestUTF8StringValidNoAlloc(t *testing.T) {
	s := strings.Repeat("valid é ", 8)
	if n := testing.AllocsPerRun(10, func() { _ = UTF8String(s) }); n != 0 {
		t.Errorf("UTF8String of valid input: %v allocations", n)
	}
}

func TestDecodeBase64(t *testing.T) {
	for in, want := range map[string]string{
		"am9obitzbWl0aA":   "john+smith",
		"am9obitzbWl0aA==": "john+smith",
		"eyJhIjoxfQ":       `{"a":1}`,
		"eyJhIjoxfQ==":     `{"a":1}`,
		"e yJ\nhIjoxfQ":    `{"a":1}`,  // other characters are skipped
		"eyJhIjoxfQ=xyz":   `{"a":1}`,  // decoding stops at '='
		"P_8-":             "?\uFFFD>", // URL-safe alphabet
		"P/8+":             "?\uFFFD>", // standard alphabet too
		"-_-_":             "\uFFFD\uFFFD\uFFFD",
		"YQ=garbage":       "a",
		"YWJ":              "ab",  // three characters: two bytes
		"YWJjZ":            "abc", // a lone final character is dropped
		"¢¢¢":              "",
		"":                 "",
	} {
		if got := DecodeBase64(in); got != want {
			t.Errorf("DecodeBase64(%q) = %q, want %q", in, got, want)
		}
		if got := string(AppendBase64([]byte("x"), []byte(in))); got != "x"+string(AppendBase64(nil, in)) {
			t.Errorf("AppendBase64 of %q: []byte and string differ", in)
		}
	}
}

func FuzzUTF8(f *testing.F) {
	for _, s := range []string{"ok", "\xED\xA0\x80", "\xF0\x9F\x98", "\xE0\x80\x80"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := UTF8(b)
		if !utf8.ValidString(got) {
			t.Fatalf("UTF8(%x) = %q is not valid UTF-8", b, got)
		}
		if got != UTF8String(string(b)) {
			t.Fatalf("UTF8 and UTF8String differ on %x", b)
		}
	})
}
