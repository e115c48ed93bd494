package collector

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// The differential tests below check the hand-written emulations of JVM
// behaviour against the JVM itself: testdata/oracle/Oracle.java, compiled
// and run with Debian's OpenJDK and library jars (joda-time, httpclient
// 4.5, commons-codec, jackson). Install them with
//
//	apt-get install -y default-jdk-headless libjoda-time-java \
//	    libhttpclient-java libcommons-codec-java libjackson2-databind-java
//
// Without them the tests skip (CI unset) or fail (CI=true).

var oracleJars = []string{
	"joda-time.jar", "httpclient.jar", "httpcore.jar", "commons-codec.jar", "commons-logging.jar",
	"jackson-databind.jar", "jackson-core.jar", "jackson-annotations.jar",
}

type oracle struct {
	t   *testing.T
	in  *bufio.Writer
	out *bufio.Scanner
}

// One JVM serves all the tests of a run; TestMain stops it.
var (
	oracleOnce sync.Once
	oracleProc *exec.Cmd
	oracleIn   *bufio.Writer
	oracleOut  *bufio.Scanner
	oracleDir  string
	oracleErr  string // why the oracle is unavailable
	oracleMu   sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	if oracleProc != nil {
		_ = oracleProc.Process.Kill()
		_ = oracleProc.Wait()
	}
	if oracleDir != "" {
		os.RemoveAll(oracleDir)
	}
	os.Exit(code)
}

func launchOracle() {
	javac, err := exec.LookPath("javac")
	if err != nil {
		oracleErr = "no javac"
		return
	}
	java, err := exec.LookPath("java")
	if err != nil {
		oracleErr = "no java"
		return
	}
	var cp []string
	for _, j := range oracleJars {
		p := filepath.Join("/usr/share/java", j)
		if _, err := os.Stat(p); err != nil {
			oracleErr = "no " + p
			return
		}
		cp = append(cp, p)
	}
	if oracleDir, err = os.MkdirTemp("", "furrow-oracle-"); err != nil {
		oracleErr = err.Error()
		return
	}
	src, err := filepath.Abs("testdata/oracle/Oracle.java")
	if err != nil {
		oracleErr = err.Error()
		return
	}
	if out, err := exec.Command(javac, "-nowarn", "-d", oracleDir, "-cp", strings.Join(cp, ":"), src).CombinedOutput(); err != nil {
		oracleErr = fmt.Sprintf("compiling oracle: %v\n%s", err, out)
		return
	}
	cmd := exec.Command(java, "-cp", strings.Join(append([]string{oracleDir}, cp...), ":"), "Oracle")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		oracleErr = err.Error()
		return
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		oracleErr = err.Error()
		return
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		oracleErr = err.Error()
		return
	}
	oracleProc = cmd
	oracleIn = bufio.NewWriterSize(stdin, 1<<16)
	oracleOut = bufio.NewScanner(stdout)
	oracleOut.Buffer(make([]byte, 1<<20), 64<<20)
}

func startOracle(t *testing.T) *oracle {
	t.Helper()
	if testing.Short() {
		t.Skip("JVM oracle skipped in -short mode")
	}
	oracleOnce.Do(launchOracle)
	if oracleProc == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("JVM oracle unavailable: %s", oracleErr)
		}
		t.Skipf("JVM oracle unavailable (%s); see the comment in oracle_test.go", oracleErr)
	}
	oracleMu.Lock()
	t.Cleanup(oracleMu.Unlock)
	return &oracle{t: t, in: oracleIn, out: oracleOut}
}

// req is one oracle command; args are strings (nil = Java null), or raw
// bytes when raw is set.
type req struct {
	op   string
	args []*string
	raw  []byte
}

type resp struct{ status, result string }

func (o *oracle) encode(r req) string {
	var b strings.Builder
	b.WriteString(r.op)
	if r.raw != nil {
		b.WriteString(" " + base64.StdEncoding.EncodeToString(r.raw))
	}
	for _, a := range r.args {
		b.WriteByte(' ')
		if a == nil {
			b.WriteString("-")
		} else {
			b.WriteString(base64.StdEncoding.EncodeToString([]byte(*a)))
		}
	}
	b.WriteByte('\n')
	return b.String()
}

// batch sends all requests (from a goroutine, so that neither side blocks
// on a full pipe) and returns the answers in order.
func (o *oracle) batch(reqs []req) []resp {
	o.t.Helper()
	errc := make(chan error, 1)
	go func() {
		for _, r := range reqs {
			if _, err := o.in.WriteString(o.encode(r)); err != nil {
				errc <- err
				return
			}
		}
		errc <- o.in.Flush()
	}()
	out := make([]resp, len(reqs))
	for i := range reqs {
		if !o.out.Scan() {
			o.t.Fatalf("oracle died: %v", o.out.Err())
		}
		status, enc, _ := strings.Cut(o.out.Text(), " ")
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			o.t.Fatalf("oracle answer %q: %v", o.out.Text(), err)
		}
		out[i] = resp{status, string(b)}
	}
	if err := <-errc; err != nil {
		o.t.Fatalf("oracle: %v", err)
	}
	return out
}

func sp(s string) *string { return &s }

// randString builds a string of n pieces drawn from alphabet.
func randString(r *rand.Rand, alphabet []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func groupsString(line []byte, spans []span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		if s.start < 0 {
			parts[i] = "\x00"
		} else {
			parts[i] = string(s.of(line))
		}
	}
	return strings.Join(parts, "\x01")
}

func TestOracleCloudFrontRegex(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(1, 2))
	ws := []string{" ", " ", " ", "\t", "  ", "\t\t", "\x0b", "\f", " \t "}
	tokens := []string{"a", "-", "GET", "x\u0085y", "\u2028", "\u2029z", "é", "%", "b-c", "\u00a0"}
	cases := []string{
		"", "#Version: 1.0", "a b c d e f g h i j k l", "a b c d e f g h i j k l ", " a b c d e f g h i j k l",
		"a b c d e f g h i j k l m", "a b c d e f g h i j k l m n", "a b c d e f g h i j k l  m n",
		"a b c d e f g h i j k l m n o", "a b c d e f g h i j k l m\n", "a b c d e f g h i j k l m \u2028",
		"a b c d e f g h i j k l m n\u2028 o", "a b c d e f g h i j k l m\nn o",
	}
	for range 5000 { // Java's backtracking makes failing lines slow
		var b strings.Builder
		if r.IntN(20) == 0 {
			b.WriteString(ws[r.IntN(len(ws))])
		}
		n := r.IntN(28)
		for i := range n {
			if i > 0 {
				b.WriteString(ws[r.IntN(len(ws))])
			}
			b.WriteString(randString(r, tokens, 1+r.IntN(2)))
		}
		if r.IntN(5) == 0 {
			b.WriteString(ws[r.IntN(len(ws))])
		}
		cases = append(cases, b.String())
	}
	reqs := make([]req, len(cases))
	for i := range cases {
		reqs[i] = req{op: "cf", args: []*string{&cases[i]}}
	}
	for i, a := range o.batch(reqs) {
		c := cases[i]
		var tok [12]span
		got := matchCloudFront([]byte(c), &tok)
		if got != (a.status == "OK") {
			t.Fatalf("cf %q: match %v, JVM %s", c, got, a.status)
		}
		if got && groupsString([]byte(c), tok[:]) != a.result {
			t.Fatalf("cf %q: groups %q, JVM %q", c, groupsString([]byte(c), tok[:]), a.result)
		}
	}
}

func TestOracleCljTomcatRegex(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(3, 4))
	ws := []string{" ", " ", "\t", "  ", "   "}
	tokens := []string{"-", "-", "-", "a", "POST", "-x", "b64=="}
	var cases []string
	for range 20000 {
		var b strings.Builder
		n := 11 + r.IntN(10)
		for i := range n {
			if i > 0 {
				b.WriteString(ws[r.IntN(len(ws))])
			}
			if i == 2 && r.IntN(10) > 0 {
				b.WriteString("-")
				continue
			}
			b.WriteString(tokens[r.IntN(len(tokens))])
		}
		if r.IntN(4) == 0 {
			b.WriteString(ws[r.IntN(len(ws))])
		}
		cases = append(cases, b.String())
	}
	reqs := make([]req, len(cases))
	for i := range cases {
		reqs[i] = req{op: "clj", args: []*string{&cases[i]}}
	}
	for i, a := range o.batch(reqs) {
		c := cases[i]
		var tok [12]span
		ct, body, got := matchCljTomcat([]byte(c), &tok)
		if got != (a.status == "OK") {
			t.Fatalf("clj %q: match %v, JVM %s", c, got, a.status)
		}
		if got {
			if g := groupsString([]byte(c), append(tok[:], ct, body)); g != a.result {
				t.Fatalf("clj %q: groups %q, JVM %q", c, g, a.result)
			}
		}
	}
}

func TestOracleJodaTimestamp(t *testing.T) {
	o := startOracle(t)
	dates := []string{
		"2012-05-24", "20yy-05-24", "2012-13-01", "2012-02-30", "2000-02-29", "1900-02-29", "2012-5-4",
		"2012", "2012-05", "2012-145", "2012-366", "2013-366", "2012-W21", "2012-W21-3", "2009-W53-7",
		"2010-W53-1", "+2012-05-24", "-0001-12-31", "12-05-24", "999999999-01-01", "123456789-12-31",
		"-999999999-01-01", "2012-W01", "2015-W53", "2016-W53",
		"2012-05-24T01", "T10", "2012-00-10", "2012-01-00", "2012--05", "２０１２-05-24", "2012-05-24é",
		"2012-W00", "2012-W21-8", "2012-1-1", "-", "+-1", "2012-05-24Z", "2012-05-24t",
	}
	times := []string{
		"00:08:40", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "12", "12:30", "12:30:15.5",
		"12:30:15,123456789", "12:30.5", "12.25", "00:08:40Z", "00:08:40+01:00", "00:08:40+01",
		"1:2:3", "00:08:40.", "00:08", "x", "00:08:40 ", "00:08:40.1234567890", "00:08:40:00",
		"00:08:40-05:30:15.5", "00:08:40+2400",
	}
	r := rand.New(rand.NewPCG(5, 6))
	alpha := []string{"0", "1", "2", "9", "-", ":", ".", ",", "T", "W", "Z", "+", "x", "é"}
	var pairs [][2]string
	for _, d := range dates {
		for _, tm := range times {
			pairs = append(pairs, [2]string{d, tm})
		}
	}
	for range 20000 {
		pairs = append(pairs, [2]string{randString(r, alpha, 1+r.IntN(12)), randString(r, alpha, 1+r.IntN(10))})
	}
	// The fast path's layout with random digits.
	digit := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	for range 20000 {
		tm := digit(2) + ":" + digit(2) + ":" + digit(2)
		if r.IntN(3) == 0 {
			tm += [...]string{".", ","}[r.IntN(2)] + digit(r.IntN(11))
		}
		pairs = append(pairs, [2]string{digit(4) + "-" + digit(2) + "-" + digit(2), tm})
	}
	reqs := make([]req, len(pairs))
	for i := range pairs {
		reqs[i] = req{op: "ts", args: []*string{&pairs[i][0], &pairs[i][1]}}
	}
	for i, a := range o.batch(reqs) {
		p := pairs[i]
		got, msg := jodaParseCollectorTime([]byte(p[0]), []byte(p[1]))
		if a.status == "OK" {
			ms, _ := strconv.ParseInt(a.result, 10, 64)
			if msg != "" || got.UnixMilli() != ms {
				t.Fatalf("ts %q %q: got %v %q, JVM %d", p[0], p[1], got, msg, ms)
			}
			continue
		}
		if wantMsg := collectorTimeMessage([]byte(p[0]), []byte(p[1]), a.result); msg != wantMsg {
			t.Fatalf("ts %q %q:\n got %q\nJVM %q", p[0], p[1], msg, wantMsg)
		}
	}
}

func TestOracleQuerystring(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(7, 8))
	alpha := []string{
		"a", "b", "e", "=", "=", "&", "&", ";", "+", "%20", "%25", "%2", "%zz", "%C3%A9", "%E2%82", "%FF", "#",
		" ", "é", "€", "😀", "\u00a0", "\u0080", "\u0085", "\u2028", "{", "|", "[", "]", "/", "?", ":", "'", "\"",
		"%e2%82%ac", "\t", "~", "*", "\ufffd", // not U+180E: a space in Java 8 (R108), not in 17
	}
	encs := []*string{sp("UTF-8"), sp("utf8"), sp("ISO-8859-1"), sp("latin1"), sp("US-ASCII"), nil, sp("bogus"), sp("")}
	cases := []string{"", "e=pv", "e=pv&&&x=1", "=v&a", "a=1;b=2", "a==b", "x=%zz", "a=b#c=d", "a#b#c", "page=Caf%C3%A9"}
	for range 20000 {
		cases = append(cases, randString(r, alpha, r.IntN(14)))
	}
	reqs := make([]req, len(cases))
	for i := range cases {
		reqs[i] = req{op: "qs", args: []*string{&cases[i], encs[i%len(encs)]}}
	}
	for i, a := range o.batch(reqs) {
		c, enc := cases[i], encs[i%len(encs)]
		encName := "null"
		if enc != nil {
			encName = *enc
		}
		nv, msg := thriftQuerystring(tstr{b: []byte(c), set: true}, tstr{b: []byte(encName), set: enc != nil})
		if a.status != "OK" {
			if wantMsg := queryMessage(c, encName, a.result); msg != wantMsg {
				t.Fatalf("qs %q enc %v:\n got %q %v\nJVM %q", c, encName, msg, nv, wantMsg)
			}
			continue
		}
		if msg != "" {
			t.Fatalf("qs %q enc %v: got error %q, JVM %q", c, encName, msg, a.result)
		}
		var b strings.Builder
		for _, p := range nv {
			b.WriteString(p.Name + "\x02")
			b.WriteString(p.Value) // a null value cannot be told apart here
			b.WriteString("\x01")
		}
		if got, want := b.String(), strings.ReplaceAll(a.result, "\x02\x00", "\x02"); got != want {
			t.Fatalf("qs %q enc %v:\n got %q\nJVM %q", c, encName, got, want)
		}
	}
}

func TestOracleSingleEncodePctsAndUpper(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(9, 10))
	alpha := []string{"%", "2", "5", "a", "F", "g", "%25", "%2525", "0", "ß", "é", "x", "ǆ", "ﬁ"}
	var cases []string
	var reqs []req
	for range 10000 {
		cases = append(cases, randString(r, alpha, r.IntN(12)))
	}
	for i := range cases {
		reqs = append(reqs, req{op: "single", args: []*string{&cases[i]}}, req{op: "upper", args: []*string{&cases[i]}})
	}
	ans := o.batch(reqs)
	for i, c := range cases {
		if got, _ := appendSingleEncodePcts(nil, []byte(c)); string(got) != ans[2*i].result {
			t.Fatalf("singleEncodePcts %q = %q, JVM %q", c, got, ans[2*i].result)
		}
		if got := javaUpper(c); got != ans[2*i+1].result && (ans[2*i+1].result == "GET" || ans[2*i+1].result == "POST" || got == "GET" || got == "POST") {
			// Only the comparison with GET/POST matters for the loaders.
			t.Fatalf("toUpperCase %q = %q, JVM %q", c, got, ans[2*i+1].result)
		}
	}
}

func TestOracleBase64AndUTF8(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(11, 12))
	var raws [][]byte
	var reqs []req
	for range 10000 {
		raw := make([]byte, r.IntN(12))
		for i := range raw {
			switch r.IntN(4) {
			case 0:
				raw[i] = byte(r.IntN(256))
			case 1:
				raw[i] = 0x80 + byte(r.IntN(64))
			case 2:
				raw[i] = 0xc0 + byte(r.IntN(64))
			default:
				raw[i] = "ABCab+/-_=xyz09 \n"[r.IntN(17)]
			}
		}
		raws = append(raws, raw)
		s := string(raw)
		reqs = append(reqs, req{op: "b64bytes", raw: raw}, req{op: "text", raw: raw}, req{op: "newstr", raw: raw}, req{op: "b64", args: []*string{&s}})
	}
	ans := o.batch(reqs)
	for i, raw := range raws {
		a := ans[4*i:]
		if got := appendBase64Lenient(nil, raw); string(got) != a[0].result {
			t.Fatalf("base64 %q = %x, JVM %x", raw, got, a[0].result)
		}
		if got := appendJavaUTF8(nil, raw); string(got) != a[1].result {
			t.Fatalf("Text.decode %x = %q, JVM %q", raw, got, a[1].result)
		}
		if got := javaString(raw); got != a[2].result {
			t.Fatalf("new String %x = %q, JVM %q", raw, got, a[2].result)
		}
		if utf8.Valid(raw) {
			if got := javaString(appendBase64Lenient(nil, raw)); got != a[3].result {
				t.Fatalf("decodeBase64Url %q = %q, JVM %q", raw, got, a[3].result)
			}
		}
	}
}

func TestOracleURLDecoder(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(13, 14))
	alpha := []string{"%", "%4", "%41", "%C3%A9", "%E2%82", "+", "a", "%+1", "%-1", "%-0", "%zz", "é", "%é", "😀", "%😀x", "\t", "%0A", "%0d"}
	var cases []string
	for range 10000 {
		cases = append(cases, randString(r, alpha, r.IntN(8)))
	}
	reqs := make([]req, len(cases))
	for i := range cases {
		reqs[i] = req{op: "urldec", args: []*string{&cases[i]}}
	}
	for i, a := range o.batch(reqs) {
		c := cases[i]
		buf := []byte(c)
		s, msg := urlDecodeField(&buf, buf, span{0, int32(len(c))}, "Content type")
		if a.status == "OK" {
			want := strings.NewReplacer("\r", "", "\n", "", "\t", "    ").Replace(a.result)
			if msg != "" || string(s.of(buf)) != want {
				t.Fatalf("URLDecoder %q = %q %q, JVM %q", c, s.of(buf), msg, want)
			}
			continue
		}
		// R108 ran on Java 8: Java 17 words NumberFormatException
		// differently; furrow reproduces Java 8.
		want := strings.ReplaceAll(a.result, " under radix 16", "")
		if i := strings.Index(want, "Error at index "); i >= 0 {
			if j := strings.Index(want[i:], " in: "); j >= 0 {
				want = want[:i] + "For input string: " + want[i+j+len(" in: "):]
			}
		}
		if wantMsg := urlDecodeMessage("Content type", []byte(c), want); msg != wantMsg {
			t.Fatalf("URLDecoder %q:\n got %q\nJVM %q", c, msg, wantMsg)
		}
	}
}

func TestOracleJackson(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(15, 16))
	alpha := []string{"{", "}", "[", "]", ",", ":", "\"a\"", "\"", "1", "0", "-", ".", "e", "true", "truex", "null",
		" ", "\t", "\\n", "\\u00e9", "\\x", "x", "01", "1.5", "\x01", "é", "]", "+1", "/", "NaN", "E+", "$"}
	cases := []string{"{}", "{} x", "123abc", "123 abc", "true,", "truex", "[1,]", "[,1]", "\"a\"x", "01", "-", "1.", "1e5", "{\"a\":}", "nulll", "true$", "true:"}
	for range 20000 {
		c := randString(r, alpha, 1+r.IntN(8))
		if strings.TrimLeft(c, " \t\r\n") != "" { // Jackson's "no content" is not a parse exception
			cases = append(cases, c)
		}
	}
	reqs := make([]req, len(cases))
	for i := range cases {
		reqs[i] = req{op: "json", args: []*string{&cases[i]}}
	}
	for i, a := range o.batch(reqs) {
		if got := jacksonFirstValueValid([]byte(cases[i])); got != (a.status == "OK") {
			t.Fatalf("json %q: valid %v, Jackson %s", cases[i], got, a.status)
		}
	}
}

func TestOracleIPAndAPI(t *testing.T) {
	o := startOracle(t)
	r := rand.New(rand.NewPCG(17, 18))
	prefixes := []string{"X-Forwarded-For: ", "x-forwarded-for: ", "Forwarded: for=", "X-Forwarded-For:", "Host: "}
	alpha := []string{"1", "2", ".", ":", "A", "f", "g", "\"", "[", "]", ",", " ", "\u2028", "\u0085", "::1"}
	var headers []string
	for range 10000 {
		headers = append(headers, prefixes[r.IntN(len(prefixes))]+randString(r, alpha, r.IntN(8)))
	}
	palpha := []string{"/", "/", "a", "b.c", "i", "ice.png", "?", "\n", "é"}
	var paths []string
	for range 10000 {
		paths = append(paths, randString(r, palpha, r.IntN(6)))
	}
	var reqs []req
	for i := range headers {
		reqs = append(reqs, req{op: "ipx", args: []*string{&headers[i]}})
	}
	for i := range paths {
		reqs = append(reqs, req{op: "api", args: []*string{&paths[i]}})
	}
	ans := o.batch(reqs)
	for i, h := range headers {
		a := ans[i]
		got := extractIPAddress([]string{h}, "\x00none")
		if a.status == "OK" {
			if got != a.result {
				t.Fatalf("ip %q = %q, JVM %q", h, got, a.result)
			}
		} else if got != "\x00none" {
			t.Fatalf("ip %q = %q, JVM no match", h, got)
		}
	}
	for i, p := range paths {
		a := ans[len(headers)+i]
		api, msg := parseAPI(p)
		switch {
		case a.status == "OK":
			if msg != "" || api.Vendor+"\x01"+api.Version != a.result {
				t.Fatalf("api %q = %v %q, JVM %q", p, api, msg, a.result)
			}
		case isIceRequest(p):
			if msg != "" || api != apiTP1 {
				t.Fatalf("api %q = %v %q, want tp1", p, api, msg)
			}
		case msg == "":
			t.Fatalf("api %q = %v, JVM no match and not /i", p, api)
		}
	}
}
