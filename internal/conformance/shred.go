package conformance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/furrowdata/furrow/event"
)

// shredETL is the etl timestamp the shred fixtures run with. The cross-batch
// spec takes "current" and "previous" (7.2 s earlier) wall-clock
// timestamps; any fixed pair exercises the same rule.
var shredETL = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func (r *Runner) shredSkip(fx *ShredFixture) string {
	if has(fx.Needs, "dynamodb") && r.Dynamo == nil {
		return "needs DynamoDB: dynalite is not installed (npm ci at the repository root)"
	}
	return ""
}

// RunShred runs one shred fixture through `furrow shred --format legacy`.
func (r *Runner) RunShred(ctx context.Context, fx *ShredFixture) *Result {
	res := &Result{Spec: fx.Name, Kind: "shred"}
	if why := r.shredSkip(fx); why != "" {
		res.Skipped = why
		return res
	}
	dir, err := os.MkdirTemp("", "furrow-conformance-")
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	current := event.FormatTimestamp(shredETL)
	previous := event.FormatTimestamp(shredETL.Add(-7200 * time.Millisecond))
	subst := strings.NewReplacer("{{current_etl_tstamp}}", current, "{{previous_etl_tstamp}}", previous)

	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		res.Err = err.Error()
		return res
	}
	var b strings.Builder
	for _, l := range fx.InputLines {
		b.WriteString(subst.Replace(l))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(in, "part-00000"), []byte(b.String()), 0o644); err != nil {
		res.Err = err.Error()
		return res
	}
	igl, err := r.Servers.ResolverConfig(r.Suite.Harness.Shred.Resolver)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	out, bad := filepath.Join(dir, "out"), filepath.Join(dir, "bad")
	args := []string{"shred", "--input-folder", in, "--output-folder", out, "--bad-folder", bad,
		"--iglu-config", base64.StdEncoding.EncodeToString(igl), "--format", "legacy",
		"--etl-timestamp", current, "--partitions", "1"}
	var table string
	if fx.CrossBatch {
		table = fmt.Sprintf("furrow-conformance-%d", time.Now().UnixNano())
		if err := r.Dynamo.seed(ctx, table, fx, subst); err != nil {
			res.Err = err.Error()
			return res
		}
		args = append(args, "--duplicate-storage-config", base64.StdEncoding.EncodeToString(r.Dynamo.config(table)))
	}
	log, err := r.runFurrowEnv(ctx, r.Dynamo.env(), args...)
	if err != nil {
		res.Err = oneLine(err.Error()+": "+lastLines(log, 3), 300)
		return res
	}
	r.compareShred(fx, out, bad, subst, res)
	if fx.CrossBatch {
		r.compareManifest(ctx, fx, table, res)
	}
	return res
}

func (r *Runner) compareShred(fx *ShredFixture, out, bad string, subst *strings.Replacer, res *Result) {
	atomic, err := readLines(filepath.Join(out, "atomic-events"))
	if err != nil {
		res.Err = err.Error()
		return
	}
	if fx.ExpectedAtomicCount != nil {
		res.check(len(atomic) == *fx.ExpectedAtomicCount, "atomic rows: %d, want %d", len(atomic), *fx.ExpectedAtomicCount)
	}
	want := make([]string, len(fx.ExpectedAtomic))
	unmatch := map[int]bool{}
	for i, row := range fx.ExpectedAtomic {
		cells := make([]string, len(row))
		for k, v := range row {
			if v == nil {
				cells[k] = "\x00" // unmatchable
				unmatch[k] = true
				continue
			}
			cells[k] = subst.Replace(*v)
		}
		want[i] = strings.Join(cells, "\t")
	}
	got := make([]string, len(atomic))
	for i, line := range atomic {
		cells := strings.Split(line, "\t")
		for k := range cells {
			if unmatch[k] {
				cells[k] = "\x00"
			}
		}
		got[i] = strings.Join(cells, "\t")
	}
	if fx.ExpectedAtomicOrder == "unordered" {
		sort.Strings(want)
		sort.Strings(got)
	}
	for i := range want {
		if i >= len(got) {
			res.check(false, "atomic row %d missing", i)
			continue
		}
		if got[i] == want[i] {
			res.check(true, "")
			continue
		}
		gc, wc := strings.Split(got[i], "\t"), strings.Split(want[i], "\t")
		for k := 0; k < max(len(gc), len(wc)); k++ {
			var g, w string
			if k < len(gc) {
				g = gc[k]
			}
			if k < len(wc) {
				w = wc[k]
			}
			if g != w {
				res.check(false, "atomic row %d field %d: got %q, want %q", i, k, oneLine(g, 200), oneLine(w, 200))
			}
		}
	}
	// Shredded types.
	seen := map[string]bool{}
	for typ, lines := range fx.ExpectedShredded {
		seen[typ] = true
		parts := strings.Split(typ, "/")
		if len(parts) != 4 {
			res.check(false, "fixture type %q is not vendor/name/format/version", typ)
			continue
		}
		dir := filepath.Join(out, "shredded-types", "vendor="+parts[0], "name="+parts[1], "format="+parts[2], "version="+parts[3])
		gotLines, err := readLines(dir)
		if err != nil {
			res.check(false, "reading %s: %v", dir, err)
			continue
		}
		res.check(len(gotLines) == len(lines), "%s: %d rows, want %d", typ, len(gotLines), len(lines))
		paths := fx.UnmatchableJSONPaths[typ]
		norm := func(s string) string { return normalizeJSON(s, paths) }
		g, w := make([]string, len(gotLines)), make([]string, len(lines))
		for i := range gotLines {
			g[i] = norm(gotLines[i])
		}
		for i := range lines {
			w[i] = norm(subst.Replace(lines[i]))
		}
		if fx.ExpectedAtomicOrder == "unordered" {
			sort.Strings(g)
			sort.Strings(w)
		}
		for i := range w {
			if i < len(g) {
				res.check(g[i] == w[i], "%s row %d: got %s, want %s", typ, i, oneLine(g[i], 300), oneLine(w[i], 300))
			}
		}
	}
	if fx.ShreddedExhaustive {
		types, _ := filepath.Glob(filepath.Join(out, "shredded-types", "vendor=*", "name=*", "format=*", "version=*"))
		for _, d := range types {
			rel, _ := filepath.Rel(filepath.Join(out, "shredded-types"), d)
			var key []string
			for _, p := range strings.Split(rel, string(filepath.Separator)) {
				key = append(key, p[strings.Index(p, "=")+1:])
			}
			k := strings.Join(key, "/")
			res.check(seen[k], "unexpected shredded type %s", k)
		}
	}
	// Bad rows.
	badLines, err := readLines(bad)
	if err != nil {
		res.Err = err.Error()
		return
	}
	if fx.ExpectedBadCount != nil {
		res.check(len(badLines) == *fx.ExpectedBadCount, "bad rows: %d, want %d", len(badLines), *fx.ExpectedBadCount)
	}
	for i, w := range fx.ExpectedBad {
		if i >= len(badLines) {
			break
		}
		var row BadRow
		if err := json.Unmarshal([]byte(badLines[i]), &row); err != nil {
			res.check(false, "bad row %d is not JSON", i)
			continue
		}
		res.check(row.Line == subst.Replace(w.Line), "bad row %d line: got %q, want %q", i, oneLine(row.Line, 200), oneLine(w.Line, 200))
		res.check(len(row.Errors) > 0, "bad row %d carries no error message", i)
	}
}

// normalizeJSON re-renders s with the given dotted paths set to null, so
// that values the peer drew at random compare equal.
func normalizeJSON(s string, paths []string) string {
	if len(paths) == 0 {
		return s
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	for _, p := range paths {
		parts := strings.Split(p, ".")
		m := v
		for i, k := range parts {
			if i == len(parts)-1 {
				if _, ok := m[k]; ok {
					m[k] = nil
				}
				break
			}
			next, ok := m[k].(map[string]any)
			if !ok {
				break
			}
			m = next
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
