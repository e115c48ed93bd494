package enrichment

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"
)

// event_fingerprint_config, as R108's EventFingerprintEnrichment: the raw
// tracker-protocol parameters sorted by name (Java String order, i.e. by
// UTF-16 code units), those named in excludeParameters left out, each
// appended as name, U+001F, value, U+001F, and the UTF-8 bytes of the
// result hashed with hashAlgorithm (MD5; SHA1, SHA256, SHA384, SHA512 from
// 1-0-1 on, which R108's parser already accepted), printed in lowercase hex
// (commons-codec DigestUtils).
//
// A parameter given without "=" was null in R108 and appended as "null";
// adapter.RawEvent cannot tell it from an empty value, so furrow appends "".

type eventFingerprint struct {
	exclude map[string]bool
	// excludeList holds the names of exclude when there are few: a scan of
	// a few strings is cheaper than hashing every parameter name.
	excludeList []string
	// maybe[c] has bit len&7 set when an excluded name starts with byte c
	// and has that length (mod 8): most parameters are ruled out by one
	// load.
	maybe [256]uint8
	algo  string
	bufs  sync.Pool // *fingerprintScratch
}

func newEventFingerprint(cfg *EventFingerprintConfig, _ *Env) (EventFingerprint, error) {
	if cfg.ExcludeParameters == nil {
		return nil, errors.New("excludeParameters: missing (a list of parameter names is required)")
	}
	switch cfg.HashAlgorithm {
	case "MD5", "SHA1", "SHA256", "SHA384", "SHA512":
	case "":
		return nil, errors.New("hashAlgorithm: missing")
	default:
		return nil, fmt.Errorf("hashAlgorithm: [%s] is not a supported event fingerprint generation algorithm", cfg.HashAlgorithm)
	}
	f := &eventFingerprint{exclude: make(map[string]bool, len(cfg.ExcludeParameters)), algo: cfg.HashAlgorithm}
	for _, p := range cfg.ExcludeParameters {
		f.exclude[p] = true
	}
	if len(f.exclude) <= 8 {
		for p := range f.exclude {
			f.excludeList = append(f.excludeList, p)
			if p != "" {
				f.maybe[p[0]] |= 1 << (len(p) & 7)
			}
		}
	}
	f.bufs.New = func() any {
		return &fingerprintScratch{buf: make([]byte, 0, 2048), pairs: make([]fingerprintPair, 0, 64), keys: make([]uint64, 0, 64)}
	}
	return f, nil
}

// excluded reports whether parameter k is left out of the fingerprint.
func (f *eventFingerprint) excluded(k string) bool {
	if f.excludeList == nil {
		return f.exclude[k]
	}
	if k != "" && f.maybe[k[0]]&(1<<(len(k)&7)) == 0 {
		return false
	}
	for _, x := range f.excludeList {
		if len(x) == len(k) && x == k {
			return true
		}
	}
	return false
}

// fingerprintScratch is the reusable memory of one Fingerprint call.
type fingerprintScratch struct {
	buf   []byte
	pairs []fingerprintPair
	keys  []uint64
	// packed: every name so far fits the integer sort; byteOrder: byte
	// order is Java's order for every name so far.
	packed, byteOrder bool
}

// Fingerprint returns the hex digest of params.
//
// The parameters are sorted by name in Java String order. Usually every
// name is at most 7 bytes without a NUL byte and without a byte that could
// meet Java's UTF-16 quirk (>= 0xEE): then the names' zero-padded first 7
// bytes order them as Java does, and the pair's index packed in the 8th
// byte makes the sort one of plain integers.
func (f *eventFingerprint) Fingerprint(params map[string]string) string {
	sc := f.bufs.Get().(*fingerprintScratch)
	sc.reset()
	for k, v := range params {
		if !f.excluded(k) {
			sc.add(k, v)
		}
	}
	return f.finish(sc)
}

// FingerprintParams is Fingerprint for parameters given as a list (each
// name once, in any order): the enricher's copy of the map, which saves
// iterating the map a second time.
func (f *eventFingerprint) FingerprintParams(params []Param) string {
	sc := f.bufs.Get().(*fingerprintScratch)
	sc.reset()
	for i := range params {
		if k := params[i].Name; !f.excluded(k) {
			sc.add(k, params[i].Value)
		}
	}
	return f.finish(sc)
}

func (sc *fingerprintScratch) reset() {
	sc.pairs, sc.keys = sc.pairs[:0], sc.keys[:0]
	sc.packed, sc.byteOrder = true, true
}

// add adds one parameter that is not excluded.
func (sc *fingerprintScratch) add(k, v string) {
	pre := keyPrefix(k)
	if len(k) > 7 || len(sc.pairs) > 255 {
		sc.packed = false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c == 0 || c >= 0xEE {
			sc.packed = false
			if c >= 0xEE {
				sc.byteOrder = false
			}
		}
	}
	if sc.packed {
		sc.keys = append(sc.keys, pre|uint64(len(sc.pairs)))
	}
	sc.pairs = append(sc.pairs, fingerprintPair{pre, k, v})
}

// finish sorts and hashes the parameters added to sc and gives sc back.
func (f *eventFingerprint) finish(sc *fingerprintScratch) string {
	pairs, keys := sc.pairs, sc.keys
	b := sc.buf[:0]
	switch {
	case sc.packed:
		slices.Sort(keys)
		for _, key := range keys {
			p := &pairs[key&0xff]
			b = appendPair(b, p.k, p.v)
		}
	case sc.byteOrder && len(pairs) <= 64:
		sortPairsBytewise(pairs)
		for i := range pairs {
			b = appendPair(b, pairs[i].k, pairs[i].v)
		}
	default:
		slices.SortFunc(pairs, func(a, b fingerprintPair) int { return compareUTF16(a.k, b.k) })
		for i := range pairs {
			b = appendPair(b, pairs[i].k, pairs[i].v)
		}
	}
	var out string
	switch f.algo {
	case "MD5":
		s := md5.Sum(b)
		out = hex.EncodeToString(s[:])
	case "SHA1":
		s := sha1.Sum(b)
		out = hex.EncodeToString(s[:])
	case "SHA256":
		s := sha256.Sum256(b)
		out = hex.EncodeToString(s[:])
	case "SHA384":
		s := sha512.Sum384(b)
		out = hex.EncodeToString(s[:])
	default:
		s := sha512.Sum512(b)
		out = hex.EncodeToString(s[:])
	}
	if cap(b) <= 1<<20 && cap(pairs) <= 1024 { // do not keep huge buffers around
		clear(pairs) // drop the references to this event's strings
		sc.buf, sc.pairs, sc.keys = b, pairs[:0], keys[:0]
		f.bufs.Put(sc)
	}
	return out
}

// appendPair appends name, U+001F, value, U+001F.
func appendPair(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, 0x1f)
	b = append(b, v...)
	return append(b, 0x1f)
}

// fingerprintPair is one parameter; pre holds the first 8 bytes of k,
// big-endian and zero-padded, so that most comparisons are one integer
// comparison.
type fingerprintPair struct {
	pre  uint64
	k, v string
}

func keyPrefix(k string) uint64 {
	var p uint64
	for i := 0; i < 8; i++ {
		p <<= 8
		if i < len(k) {
			p |= uint64(k[i])
		}
	}
	return p
}

// sortPairsBytewise sorts a few pairs by key in byte order (an insertion
// sort: the tracker's 20-40 parameters arrive in random map order).
func sortPairsBytewise(pairs []fingerprintPair) {
	for i := 1; i < len(pairs); i++ {
		x := pairs[i]
		j := i
		for j > 0 && (x.pre < pairs[j-1].pre || (x.pre == pairs[j-1].pre && x.k < pairs[j-1].k)) {
			pairs[j] = pairs[j-1]
			j--
		}
		pairs[j] = x
	}
}

// compareUTF16 orders strings as java.lang.String.compareTo: by UTF-16 code
// units. It differs from byte order only where a character above U+FFFF
// meets one in U+E000-U+FFFF.
func compareUTF16(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		return len(a) - len(b) // one is a prefix of the other
	}
	if a[i] < utf8.RuneSelf && b[i] < utf8.RuneSelf {
		return int(a[i]) - int(b[i])
	}
	// Back up to the start of the differing runes and compare their UTF-16
	// code units.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	if la, lb := utf16Lead(ra), utf16Lead(rb); la != lb {
		return int(la) - int(lb)
	}
	return int(ra) - int(rb) // both above U+FFFF with one lead surrogate
}

// utf16Lead is the first UTF-16 code unit of r.
func utf16Lead(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}
