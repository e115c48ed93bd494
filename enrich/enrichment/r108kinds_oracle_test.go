package enrichment

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestR108KindsJVMOracle checks the emulations of JVM behaviour used by
// ip_lookups, anon_ip, IAB and the cookie extractor against the JVM
// itself (testdata/r108kinds-oracle/R108KindsOracle.java, compiled and run
// with the local JDK and Debian's httpcore 4.4 and Guava jars):
// Float.toString for |f| < 1e7 (the range of coordinates),
// InetAddress.getByName on IP literals, Guava's InetAddresses.forString,
// HttpCore's BasicHeaderValueParser.parseParameters, and
// String.toLowerCase(Locale.ENGLISH) / String.trim. Install the JVM side
// with
//
//	apt-get install -y default-jdk-headless libhttpcore-java libguava-java
//
// Without it the test skips (CI unset) or fails (CI=true).
func TestR108KindsJVMOracle(t *testing.T) {
	o := startR108Oracle(t)
	rng := rand.New(rand.NewPCG(1, 2))

	t.Run("Float.toString", func(t *testing.T) {
		fs := []float32{0, 1, -1, 0.001, 0.00099999, 9999999, 47.2513, -122.3149, 51.5, 0.1, 1e-5, 3.4e-38}
		for len(fs) < 3000 {
			switch len(fs) % 3 {
			case 0:
				fs = append(fs, float32(math.Round((rng.Float64()*360-180)*10000)/10000))
			case 1:
				fs = append(fs, float32(rng.Float64()*math.Pow(10, float64(rng.IntN(12)-9))))
			default:
				if f := math.Float32frombits(rng.Uint32()); math.Abs(float64(f)) < 1e7 {
					fs = append(fs, f)
				}
			}
		}
		for _, f := range fs {
			want := o.ask(t, "float", strconv.Itoa(int(int32(math.Float32bits(f)))))
			if got := javaFloatString(f); got != want {
				t.Errorf("Float.toString(%v): JVM %q, furrow %q", f, want, got)
			}
		}
	})

	t.Run("InetAddress.getByName", func(t *testing.T) {
		for _, s := range r108IPCorpus(rng) {
			want := o.ask(t, "inet", s)
			got := "-"
			if a, ok := javaInetAddress(s); ok {
				got = javaHostAddress(a)
			}
			if got != want {
				t.Errorf("getByName(%q): JVM %q, furrow %q", s, want, got)
			}
		}
	})

	t.Run("InetAddresses.forString", func(t *testing.T) {
		for _, s := range r108IPCorpus(rng) {
			if strings.ContainsAny(s, ".") && !strings.Contains(s, ":") {
				continue // IPv4-looking strings take the same path valid or not (anonymizeIPv4)
			}
			want := o.ask(t, "guava", s)
			got := "-"
			if a, ok := guavaInetAddress(s); ok {
				got = javaHostAddress(a.Unmap())
			}
			if got != want {
				t.Errorf("forString(%q): Guava %q, furrow %q", s, want, got)
			}
		}
	})

	t.Run("BasicHeaderValueParser", func(t *testing.T) {
		corpus := []string{"a=b; c=d", " a = b ", "a", "a;;b=", `a="x;y" ; b`, `a="unterminated`, `a="x\y\"z\\"`,
			`a="q"rest`, "a=b,c=d", ",a=b", "k=v=w", "k\r\n\t=\r\nv\tw", "été=à b", "", "  ", ";", "=", `"`, `a=""`, `a= "x" "y" `}
		const alphabet = "ab =;,\"\\ \t\r\né"
		for len(corpus) < 3000 {
			var b strings.Builder
			for n := rng.IntN(14); n > 0; n-- {
				r, _ := utf8.DecodeRuneInString(alphabet[rng.IntN(len(alphabet)):])
				if r == utf8.RuneError {
					r = 'é'
				}
				b.WriteRune(r)
			}
			corpus = append(corpus, b.String())
		}
		for _, s := range corpus {
			want := o.ask(t, "cookie", s)
			var b strings.Builder
			for _, p := range parseHeaderParameters(s) {
				b.WriteString("[" + p.Name)
				if !p.Null {
					b.WriteString("=" + p.Value)
				}
				b.WriteString("]")
			}
			if got := b.String(); got != want {
				t.Errorf("parseParameters(%q): JVM %q, furrow %q", s, want, got)
			}
		}
	})

	t.Run("toLowerCase/trim", func(t *testing.T) {
		for _, s := range []string{"Mozilla/5.0 (X11)", "İSTANBUL", "ÀÉÎÕÜ ß", "Googlebot", "\t x \x01", "\u00a0x\u00a0", "ΑΒΓ"} {
			if got, want := javaLowerEnglish(s), o.ask(t, "lower", s); got != want {
				t.Errorf("toLowerCase(%q): JVM %q, furrow %q", s, want, got)
			}
			if got, want := javaTrim(s), o.ask(t, "trim", s); got != want {
				t.Errorf("trim(%q): JVM %q, furrow %q", s, want, got)
			}
		}
	})
}

// r108IPCorpus is a mix of valid, odd and invalid address strings.
func r108IPCorpus(rng *rand.Rand) []string {
	out := []string{"1.2.3.4", "127.1", "1.2.772", "16909060", "010.1.1.1", "::ffff:1.2.3.4", "[::1]", "2001:DB8::1",
		"::1.2.3.4", "fe80::1%2", "1.2.3.256", "1.2.3.4.", ".1.2.3", "1..2", "4294967296", "0001.0002.0003.4",
		"[1.2.3.4]", "[::1", "::", "1::", "::ffff:0102:0304", "2001:db8:1::5", "[2001:db8::1]", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:1.2.3.4", "::ffff:1.2.3", "0.0.0.0", "255.255.255.255", "00000000001"}
	const alphabet = "0123456789abcdef:.:.%[]"
	for len(out) < 3000 {
		var b strings.Builder
		for n := 1 + rng.IntN(16); n > 0; n-- {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		out = append(out, b.String())
	}
	return out
}

type r108Oracle struct {
	in  *bufio.Writer
	out *bufio.Scanner
}

func startR108Oracle(t *testing.T) *r108Oracle {
	t.Helper()
	unavailable := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("JVM oracle unavailable: %s", why)
		}
		t.Skipf("JVM oracle unavailable (%s); install default-jdk-headless libhttpcore-java libguava-java", why)
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		unavailable("no javac")
	}
	java, err := exec.LookPath("java")
	if err != nil {
		unavailable("no java")
	}
	var cp []string
	for _, jar := range []string{"httpcore.jar", "guava.jar"} {
		p := filepath.Join("/usr/share/java", jar)
		if _, err := os.Stat(p); err != nil {
			unavailable("no " + p)
		}
		cp = append(cp, p)
	}
	src, err := filepath.Abs(filepath.Join("testdata", "r108kinds-oracle", "R108KindsOracle.java"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	classpath := strings.Join(cp, string(os.PathListSeparator))
	const exports = "--add-exports=java.base/sun.net.util=ALL-UNNAMED"
	if out, err := exec.Command(javac, exports, "-nowarn", "-d", dir, "-cp", classpath, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	// JDK 8 (R108's) accepted every IPv4 literal form; later JDKs need this
	// property for the same answers.
	cmd := exec.Command(java, exports, "-Djdk.net.allowAmbiguousIPAddressLiterals=true",
		"-cp", dir+string(os.PathListSeparator)+classpath, "R108KindsOracle")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	return &r108Oracle{in: bufio.NewWriter(stdin), out: sc}
}

// ask returns the JVM's answer, "-" when it rejected the input.
func (o *r108Oracle) ask(t *testing.T, op, arg string) string {
	t.Helper()
	fmt.Fprintf(o.in, "%s\t%s\n", op, base64.StdEncoding.EncodeToString([]byte(arg)))
	if err := o.in.Flush(); err != nil {
		t.Fatal(err)
	}
	if !o.out.Scan() {
		t.Fatalf("oracle: no answer to %s %q: %v", op, arg, o.out.Err())
	}
	line := o.out.Text()
	if line == "-" {
		return "-"
	}
	b, err := base64.StdEncoding.DecodeString(line)
	if err != nil {
		t.Fatalf("oracle answer %q: %v", line, err)
	}
	return string(b)
}
