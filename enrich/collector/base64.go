package collector

// base64Decode table of commons-codec's Base64: both the standard and the
// URL-safe alphabet decode ('+' and '-' are 62, '/' and '_' are 63).
var base64Decode = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = int8(i)
	}
	t['-'] = 62
	t['_'] = 63
	return t
}()

// appendBase64Lenient appends the decoding of src the way commons-codec's
// Base64.decode (1.x) does it, which Snowplow (bodies of the Clojure
// collector) and elephant-bird (base64 Thrift lines) used: characters
// outside both alphabets are ignored, decoding stops at the first '=', and
// a final group of two or three characters yields one or two bytes (a
// lone final character is dropped). It never fails.
func appendBase64Lenient(dst, src []byte) []byte {
	var work uint32
	n := 0
	for _, c := range src {
		if c == '=' {
			break
		}
		v := base64Decode[c]
		if v < 0 {
			continue
		}
		work = work<<6 | uint32(v)
		n++
		if n == 4 {
			dst = append(dst, byte(work>>16), byte(work>>8), byte(work))
			work, n = 0, 0
		}
	}
	switch n {
	case 2:
		dst = append(dst, byte(work>>4))
	case 3:
		work >>= 2
		dst = append(dst, byte(work>>8), byte(work))
	}
	return dst
}
