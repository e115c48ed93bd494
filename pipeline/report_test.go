package pipeline

import "testing"

func TestErrorClass(t *testing.T) {
	cases := map[string]string{
		"Field [e]: [lol] is not a recognised event code":             "Field […]: […] is not a recognised event code",
		"Field [cx]: invalid JSON [{\"a\":[1,2]}] with parsing error": "Field […]: invalid JSON […] with parsing error",
		"unbalanced [ \x00 garbage":                                   "unbalanced […]",
		"bell \a here":                                                "bell ? here",
	}
	for in, want := range cases {
		if got := ErrorClass(in); got != want {
			t.Errorf("ErrorClass(%q) = %q, want %q", in, got, want)
		}
	}
}
