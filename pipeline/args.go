package pipeline

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/furrowdata/furrow/storage/location"
)

// LoadArg resolves a configuration argument that, as in Spark Enrich, may be
// a base64-encoded JSON document, or else is the location of a file
// (s3://, hdfs://, file:// or a path). It returns the JSON bytes.
func LoadArg(ctx context.Context, flagName, v string, opts location.Options) ([]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if strings.HasPrefix(v, "{") {
		if !json.Valid([]byte(v)) {
			return nil, fmt.Errorf("%s: inline JSON is not valid JSON", flagName)
		}
		return []byte(v), nil
	}
	if !strings.Contains(v, "/") || !looksLikeLocation(v) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(v); err == nil && json.Valid(b) {
				return b, nil
			}
		}
	}
	b, err := location.ReadFile(ctx, v, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is neither base64-encoded JSON nor a readable file: %w", flagName, shorten(v), err)
	}
	return b, nil
}

func looksLikeLocation(v string) bool {
	return strings.Contains(v, "://") || strings.HasPrefix(v, "/") || strings.HasPrefix(v, ".")
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
