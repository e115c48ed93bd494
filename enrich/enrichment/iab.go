package enrichment

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/furrowdata/furrow/event"
)

// iab_spiders_and_robots_enrichment, as R108's IabEnrichment over
// Snowplow's iab-spiders-and-robots-java-client.
//
// Inputs: useragent, user_ipaddress (before anon_ip) and derived_tstamp.
// When one of them is empty the event fails with R108's message "One of
// required event fields missing. user agent: …, ip address: …, time: …"
// (Scala Options: None / Some(x)); an address that is no IP literal fails
// with "IP address X was invald" (sic; R108 tried DNS first, furrow never
// resolves host names).
//
// The check, in the client's order:
//  1. (1-0-1) the UA contains one of includeUseragents (case-insensitive):
//     a browser; contains one of excludeUseragents: a robot
//     (SPIDER_OR_ROBOT, FAILED_UA_EXCLUDE, UNKNOWN).
//  2. The address is in the IP list, as a plain line equal to its
//     InetAddress.getHostAddress form or inside a CIDR line:
//     SPIDER_OR_ROBOT, FAILED_IP_EXCLUDE, UNKNOWN.
//  3. No include-list record matches the lowercased UA (substring, or
//     prefix when the record's start-of-string flag is 1) while active or
//     while the event is before the record's inactive date:
//     SPIDER_OR_ROBOT, FAILED_UA_INCLUDE, UNKNOWN.
//  4. The first exclude-list record that is active or has an inactive date,
//     matches the UA and none of its comma-separated exception patterns:
//     ACTIVE_SPIDER_OR_ROBOT (no inactive date, or the event is before it)
//     or INACTIVE_SPIDER_OR_ROBOT, FAILED_UA_EXCLUDE, and the record's
//     primary impact (0 PAGE_IMPRESSIONS, 1 AD_IMPRESSIONS,
//     2 PAGE_AND_AD_IMPRESSIONS).
//  5. Otherwise: BROWSER, PASSED_ALL, NONE, spiderOrRobot false.
//
// The result is the context iglu:com.iab.snowplow/spiders_and_robots/
// jsonschema/1-0-0 {spiderOrRobot, category, reason, primaryImpact}.
//
// The lists are read as the client did: ISO-8859-1 text; the UA lists as
// commons-csv records separated by '|' with '#' comment lines, fields
// trimmed, patterns lowercased (Locale.ENGLISH), flags "1"/"0", inactive
// dates MM/dd/yyyy (lenient SimpleDateFormat, UTC); the IP list one address
// or CIDR per line. A CIDR furrow cannot parse (the client threw on every
// check) or a malformed CSV file is a configuration error. A matching
// exclude record whose primary impact is not 0, 1 or 2 fails the event as
// R108's catch-all did. Verdicts are cached per user agent and per address
// (bounded).

const iabContextSchema = "iglu:com.iab.snowplow/spiders_and_robots/jsonschema/1-0-0"

// iabCacheSize bounds each of the user-agent and address caches.
const iabCacheSize = 20000

type iab struct {
	plainIPs                     map[string]bool // getHostAddress form
	cidrs                        map[netip.Prefix]bool
	cidrBits4, cidrBits6         []int // prefix lengths present, per family
	include                      []iabIncludeRecord
	exclude                      []iabExcludeRecord
	customInclude, customExclude []string // lowercased (1-0-1)
	uaCache                      *keyedLRU[string, iabUAVerdict]
	ipCache                      *keyedLRU[string, int8]
}

type iabIncludeRecord struct {
	pattern       string
	active, start bool
	inactive      int64 // Unix ms; iabNoDate when unset
}

type iabExcludeRecord struct {
	pattern       string
	active, start bool
	exceptions    []string
	impact        string // PAGE_IMPRESSIONS, …; "" when invalid
	impactErr     string // R108's exception text when invalid
	inactive      int64
}

const iabNoDate = math.MinInt64

// iabUAVerdict is what does not depend on the event time for one UA.
type iabUAVerdict struct {
	customInclude, customExclude bool
	includeActive                bool  // an active include record matches
	includeUntil                 int64 // latest inactive date of the other matching include records
	exclude                      int32 // first present exclude record, -1 none
}

func newIAB(cfg *IABConfig, env *Env) (IAB, error) {
	b := &iab{
		plainIPs: map[string]bool{}, cidrs: map[netip.Prefix]bool{},
		uaCache: newKeyedLRU[string, iabUAVerdict](iabCacheSize), ipCache: newKeyedLRU[string, int8](iabCacheSize),
	}
	var errs []error
	read := func(key string, parse func([]byte) error) {
		p, ok := env.Asset(key)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: the list file was not provided", key))
			return
		}
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			return
		}
		if err := parse(data); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", key, p, err))
		}
	}
	read("ipFile", b.parseIPs)
	read("includeUseragentFile", b.parseInclude)
	read("excludeUseragentFile", b.parseExclude)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, p := range cfg.IncludeUseragents {
		b.customInclude = append(b.customInclude, javaLowerEnglish(p))
	}
	for _, p := range cfg.ExcludeUseragents {
		b.customExclude = append(b.customExclude, javaLowerEnglish(p))
	}
	return b, nil
}

// latin1 decodes ISO-8859-1 bytes.
func latin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// parseIPs reads the IP list: one trimmed address or CIDR per line.
func (b *iab) parseIPs(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	sc.Split(scanJavaLines)
	line := 0
	for sc.Scan() {
		line++
		rec := javaTrim(latin1(sc.Bytes()))
		if rec == "" {
			continue
		}
		if !strings.Contains(rec, "/") {
			b.plainIPs[rec] = true
			continue
		}
		p, err := netip.ParsePrefix(rec)
		if err != nil {
			return fmt.Errorf("line %d: [%s] is not a CIDR block: %v", line, rec, err)
		}
		p = p.Masked()
		if !b.cidrs[p] {
			b.cidrs[p] = true
			if p.Addr().Is4() {
				b.cidrBits4 = append(b.cidrBits4, p.Bits())
			} else {
				b.cidrBits6 = append(b.cidrBits6, p.Bits())
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	slices.Sort(b.cidrBits4)
	b.cidrBits4 = slices.Compact(b.cidrBits4)
	slices.Sort(b.cidrBits6)
	b.cidrBits6 = slices.Compact(b.cidrBits6)
	return nil
}

// scanJavaLines splits at \n, \r\n or \r, as BufferedReader.readLine.
func scanJavaLines(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\r' {
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if !atEOF {
				return 0, nil, nil // need to see whether \n follows
			}
		}
		return i + 1, data[:i], nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func (b *iab) parseInclude(data []byte) error {
	recs, err := parseIABCSV(latin1(data))
	if err != nil {
		return err
	}
	for _, r := range recs {
		b.include = append(b.include, iabIncludeRecord{
			pattern:  javaLowerEnglish(iabField(r, 0)),
			active:   iabFlag(r, 1),
			start:    iabFlag(r, 2),
			inactive: iabDate(iabField(r, 3)),
		})
	}
	return nil
}

func (b *iab) parseExclude(data []byte) error {
	recs, err := parseIABCSV(latin1(data))
	if err != nil {
		return err
	}
	for _, r := range recs {
		x := iabExcludeRecord{
			pattern:  javaLowerEnglish(iabField(r, 0)),
			active:   iabFlag(r, 1),
			start:    iabFlag(r, 5),
			inactive: iabDate(iabField(r, 6)),
		}
		for _, p := range strings.Split(javaLowerEnglish(iabField(r, 2)), ",") {
			if p = javaTrim(p); p != "" {
				x.exceptions = append(x.exceptions, p)
			}
		}
		switch f := iabField(r, 4); {
		case len(r) <= 4:
			x.impactErr = "java.lang.NullPointerException"
		case f == "0":
			x.impact = "PAGE_IMPRESSIONS"
		case f == "1":
			x.impact = "AD_IMPRESSIONS"
		case f == "2":
			x.impact = "PAGE_AND_AD_IMPRESSIONS"
		default:
			x.impactErr = "java.lang.IllegalArgumentException: Invalid value of impression flag: '" + f + "'"
		}
		b.exclude = append(b.exclude, x)
	}
	return nil
}

// iabField is CsvUtils.getString: the trimmed field, "" when missing.
func iabField(r []string, i int) string {
	if i < len(r) {
		return javaTrim(r[i])
	}
	return ""
}

// iabFlag is CsvUtils.getBoolean(record, i, false).
func iabFlag(r []string, i int) bool { return iabField(r, i) == "1" }

// iabDate parses an inactive date as the client's lenient
// SimpleDateFormat("MM/dd/yyyy") (JVM time zone UTC): blanks before each
// number, overflowing months and days roll over, text after the year is
// ignored. iabNoDate when blank or unparseable.
func iabDate(s string) int64 {
	var nums [3]int
	p := 0
	for i := range nums {
		if i > 0 {
			if p >= len(s) || s[p] != '/' {
				return iabNoDate
			}
			p++
		}
		for p < len(s) && (s[p] == ' ' || s[p] == '\t') {
			p++
		}
		neg := false
		if p < len(s) && s[p] == '-' {
			neg = true
			p++
		}
		start := p
		for p < len(s) && s[p] >= '0' && s[p] <= '9' && p-start < 9 {
			nums[i] = nums[i]*10 + int(s[p]-'0')
			p++
		}
		if p == start {
			return iabNoDate
		}
		if neg {
			nums[i] = -nums[i]
		}
	}
	return time.Date(nums[2], time.Month(nums[0]), nums[1], 0, 0, 0, 0, time.UTC).UnixMilli()
}

// parseIABCSV reads commons-csv records (CSVFormat.DEFAULT with delimiter
// '|' and comment marker '#'): records end at \n, \r\n or \r, empty lines
// and lines starting with '#' are skipped, a field starting with '"' is
// quoted ("" inside is a quote, only blanks may follow the closing quote).
func parseIABCSV(s string) ([][]string, error) {
	var recs [][]string
	line := 1
	i := 0
	atLineStart := func(j int) bool { return j == 0 || s[j-1] == '\n' || s[j-1] == '\r' }
	for i < len(s) {
		c := s[i]
		if c == '\n' || c == '\r' { // an empty line
			i++
			if c == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			line++
			continue
		}
		if c == '#' && atLineStart(i) {
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
			continue
		}
		var rec []string
		for {
			var field strings.Builder
			if i < len(s) && s[i] == '"' {
				i++
				startLine := line
				for {
					if i >= len(s) {
						return nil, fmt.Errorf("line %d: end of file inside a quoted field", startLine)
					}
					ch := s[i]
					if ch == '"' {
						if i+1 < len(s) && s[i+1] == '"' {
							field.WriteByte('"')
							i += 2
							continue
						}
						i++
						break
					}
					if ch == '\n' || (ch == '\r' && (i+1 >= len(s) || s[i+1] != '\n')) {
						line++
					}
					field.WriteByte(ch)
					i++
				}
				for i < len(s) && s[i] != '|' && s[i] != '\n' && s[i] != '\r' {
					if s[i] != ' ' && s[i] != '\t' {
						return nil, fmt.Errorf("line %d: invalid character between a quoted field and the delimiter", line)
					}
					i++
				}
			} else {
				for i < len(s) && s[i] != '|' && s[i] != '\n' && s[i] != '\r' {
					field.WriteByte(s[i])
					i++
				}
			}
			rec = append(rec, field.String())
			if i < len(s) && s[i] == '|' {
				i++
				continue
			}
			break
		}
		if i < len(s) { // the record separator
			if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			i++
			line++
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// javaLowerEnglish is String.toLowerCase(Locale.ENGLISH) (without the
// final-sigma rule).
func javaLowerEnglish(s string) string {
	ascii := true
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if ascii {
		if !upper {
			return s
		}
		return strings.ToLower(s)
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		if r == 'İ' {
			sb.WriteString("i\u0307")
			continue
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return sb.String()
}

// IABContext returns the spiders_and_robots context of e.
func (b *iab) IABContext(_ context.Context, e *event.Event) (json.RawMessage, error) {
	ua, ip, ts := e.Fields[event.Useragent], e.Fields[event.UserIPAddress], e.Fields[event.DerivedTstamp]
	var at time.Time
	tsOK := false
	if ts != "" {
		t, err := event.ParseTimestamp(ts)
		at, tsOK = t, err == nil
	}
	if ua == "" || ip == "" || !tsOK {
		return nil, iabMessage("One of required event fields missing. user agent: " + scalaOption(ua) +
			", ip address: " + scalaOption(ip) + ", time: " + scalaOptionTime(at, tsOK))
	}
	listed := b.ipListed(ip)
	if listed < 0 {
		return nil, iabMessage("IP address " + ip + " was invald")
	}
	v := b.verdict(ua)
	atMs := at.UnixMilli()
	switch {
	case v.customInclude:
		return iabContext(false, "BROWSER", "PASSED_ALL", "NONE"), nil
	case v.customExclude:
		return iabContext(true, "SPIDER_OR_ROBOT", "FAILED_UA_EXCLUDE", "UNKNOWN"), nil
	case listed > 0:
		return iabContext(true, "SPIDER_OR_ROBOT", "FAILED_IP_EXCLUDE", "UNKNOWN"), nil
	case !v.includeActive && !(v.includeUntil != iabNoDate && atMs < v.includeUntil):
		return iabContext(true, "SPIDER_OR_ROBOT", "FAILED_UA_INCLUDE", "UNKNOWN"), nil
	case v.exclude >= 0:
		x := &b.exclude[v.exclude]
		if x.impactErr != "" {
			return nil, iabMessage("Unexpected error processing events: " + x.impactErr)
		}
		category := "INACTIVE_SPIDER_OR_ROBOT"
		if x.inactive == iabNoDate || atMs < x.inactive {
			category = "ACTIVE_SPIDER_OR_ROBOT"
		}
		return iabContext(true, category, "FAILED_UA_EXCLUDE", x.impact), nil
	}
	return iabContext(false, "BROWSER", "PASSED_ALL", "NONE"), nil
}

// iabMessage is a failure message of R108, kept verbatim (capitalized).
type iabMessage string

func (m iabMessage) Error() string { return string(m) }

func scalaOption(s string) string {
	if s == "" {
		return "None"
	}
	return "Some(" + s + ")"
}

// scalaOptionTime prints a Joda DateTime option (ISO format, UTC).
func scalaOptionTime(t time.Time, ok bool) string {
	if !ok {
		return "None"
	}
	return "Some(" + t.UTC().Format("2006-01-02T15:04:05.000Z") + ")"
}

func iabContext(robot bool, category, reason, impact string) json.RawMessage {
	b := make([]byte, 0, 192)
	b = append(b, `{"schema":"`+iabContextSchema+`","data":{"spiderOrRobot":`...)
	if robot {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = append(b, `,"category":"`...)
	b = append(b, category...)
	b = append(b, `","reason":"`...)
	b = append(b, reason...)
	b = append(b, `","primaryImpact":"`...)
	b = append(b, impact...)
	return append(b, `"}}`...)
}

// ipListed reports 1 when ip is in the IP list, 0 when not, -1 when it is
// no IP address.
func (b *iab) ipListed(ip string) int8 {
	if v, ok := b.ipCache.get(ip); ok {
		return v
	}
	v := int8(-1)
	if a, ok := javaInetAddress(ip); ok {
		v = 0
		if b.inIPList(a) {
			v = 1
		}
	}
	b.ipCache.put(ip, v)
	return v
}

func (b *iab) inIPList(a netip.Addr) bool {
	if len(b.plainIPs) > 0 && b.plainIPs[javaHostAddress(a)] {
		return true
	}
	a = a.WithZone("")
	bits := b.cidrBits6
	if a.Is4() {
		bits = b.cidrBits4
	}
	for _, n := range bits {
		p, err := a.Prefix(n)
		if err == nil && b.cidrs[p] {
			return true
		}
	}
	return false
}

// verdict evaluates the user-agent lists for ua (cached).
func (b *iab) verdict(ua string) iabUAVerdict {
	if v, ok := b.uaCache.get(ua); ok {
		return v
	}
	low := javaLowerEnglish(ua)
	v := iabUAVerdict{includeUntil: iabNoDate, exclude: -1}
	v.customInclude = iabContainsAny(low, b.customInclude)
	v.customExclude = iabContainsAny(low, b.customExclude)
	for i := range b.include {
		r := &b.include[i]
		if !iabMatch(low, r.pattern, r.start) {
			continue
		}
		if r.active {
			v.includeActive = true
			break
		}
		v.includeUntil = max(v.includeUntil, r.inactive)
	}
	for i := range b.exclude {
		x := &b.exclude[i]
		if !x.active && x.inactive == iabNoDate {
			continue
		}
		if iabMatch(low, x.pattern, x.start) && !iabContainsAny(low, x.exceptions) {
			v.exclude = int32(i)
			break
		}
	}
	b.uaCache.put(ua, v)
	return v
}

func iabMatch(ua, pattern string, start bool) bool {
	if start {
		return strings.HasPrefix(ua, pattern)
	}
	return strings.Contains(ua, pattern)
}

func iabContainsAny(ua string, patterns []string) bool {
	for _, p := range patterns {
		if strings.Contains(ua, p) {
			return true
		}
	}
	return false
}
