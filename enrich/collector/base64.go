package collector

import "github.com/furrowdata/furrow/internal/javautil"

// appendBase64Lenient appends the decoding of src the way commons-codec's
// Base64.decode (1.x) does it, which Snowplow (bodies of the Clojure
// collector) and elephant-bird (base64 Thrift lines) used: see
// javautil.AppendBase64. It never fails.
func appendBase64Lenient(dst, src []byte) []byte { return javautil.AppendBase64(dst, src) }
