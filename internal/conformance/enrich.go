package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/furrowdata/furrow/enrich/collector/collectortest"
	"github.com/furrowdata/furrow/enrich/enrichment"
	"github.com/furrowdata/furrow/event"
	"github.com/furrowdata/furrow/storage"
)

// Runner runs fixtures through a furrow binary.
type Runner struct {
	Furrow     string // path of the furrow binary
	Shared     string // ../shared
	Servers    *Servers
	Suite      *Suite
	ETLVersion string // furrow's v_etl, substituted for {{etl_version}}
	Env        []string
	Timeout    time.Duration
	Dynamo     *Dynamo // dynalite for the cross-batch fixture; nil = skip it
	// Postgres seeds the SQL fixture's table; nil = skip that fixture
	// (PostgreSQLMissing says why).
	Postgres          Seeder
	PostgreSQLMissing string
}

// Seeder creates a fixture's database: role, database and seed table.
type Seeder interface {
	SQLEnrichmentFixture(ctx context.Context, seed json.RawMessage, user, password, db string) error
}

// runFurrow runs furrow with args and returns its combined output.
func (r *Runner) runFurrow(ctx context.Context, args ...string) (string, error) {
	return r.runFurrowEnv(ctx, nil, args...)
}

// runFurrowEnv runs furrow with args and extra environment variables.
func (r *Runner) runFurrowEnv(ctx context.Context, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Furrow, args...)
	cmd.Env = append(append(os.Environ(), r.Env...), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("furrow %s: %w", args[0], err)
	}
	return string(out), nil
}

// enrichSkip says why a fixture cannot run here, or "".
func (r *Runner) enrichSkip(fx *EnrichFixture) string {
	for _, n := range fx.Needs {
		switch n {
		case "missing-data-file":
			return "a data file it needs is missing from ../shared/conformance/data (see its MANIFEST.json)"
		case "postgres":
			if r.Postgres == nil {
				return "needs PostgreSQL: " + r.PostgreSQLMissing
			}
		case "http-api-server":
			if r.Servers.APIURL == "" {
				return "needs the loopback API mock"
			}
		case "oer-api-key":
			if r.Servers.OERKey == "" {
				return "needs the loopback Open Exchange Rates server"
			}
		}
	}
	return ""
}

// prepareExternal sets up what a fixture's external services must hold.
func (r *Runner) prepareExternal(ctx context.Context, fx *EnrichFixture) error {
	if !has(fx.Needs, "postgres") {
		return nil
	}
	var ext struct {
		Postgres struct {
			Seed json.RawMessage `json:"seed"`
		} `json:"postgres"`
	}
	if err := json.Unmarshal(fx.External, &ext); err != nil {
		return fmt.Errorf("external_services: %w", err)
	}
	return r.Postgres.SQLEnrichmentFixture(ctx, ext.Postgres.Seed, "enricher", "supersecret1", "sql_enrichment_test")
}

// writeInput writes the fixture's input into dir/in and returns that folder.
func (r *Runner) writeInput(fx *EnrichFixture, dir string) (string, error) {
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	switch {
	case len(fx.InputThrift) > 0:
		var recs [][]byte
		for i, t := range fx.InputThrift {
			b, err := base64.StdEncoding.DecodeString(t.TBinaryBase64)
			if err != nil {
				return "", fmt.Errorf("input_thrift[%d]: %w", i, err)
			}
			recs = append(recs, b)
		}
		if err := collectortest.WriteThriftBlockFile(&buf, recs, true); err != nil {
			return "", fmt.Errorf("writing thrift block file: %w", err)
		}
		return in, os.WriteFile(filepath.Join(in, "input.lzo"), buf.Bytes(), 0o644)
	default:
		for _, l := range fx.InputLines {
			buf.WriteString(l)
			buf.WriteByte('\n')
		}
		if fx.InputFile != "" {
			b, err := os.ReadFile(filepath.Join(r.Shared, "conformance", "data", fx.InputFile))
			if err != nil {
				return "", fmt.Errorf("input_file: %w", err)
			}
			if buf.Len() > 0 {
				// Lines first, then the file, as two inputs in one folder.
				if err := os.WriteFile(filepath.Join(in, "input-0"), buf.Bytes(), 0o644); err != nil {
					return "", err
				}
				return in, os.WriteFile(filepath.Join(in, "input-1-"+fx.InputFile), b, 0o644)
			}
			return in, os.WriteFile(filepath.Join(in, fx.InputFile), b, 0o644)
		}
		return in, os.WriteFile(filepath.Join(in, "input"), buf.Bytes(), 0o644)
	}
}

// RunEnrich runs one enrich fixture.
func (r *Runner) RunEnrich(ctx context.Context, fx *EnrichFixture) *Result {
	res := &Result{Spec: fx.Name, Kind: "enrich"}
	if why := r.enrichSkip(fx); why != "" {
		res.Skipped = why
		return res
	}
	dir, err := os.MkdirTemp("", "furrow-conformance-")
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	in, err := r.writeInput(fx, dir)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	if err := r.prepareExternal(ctx, fx); err != nil {
		res.Err = err.Error()
		return res
	}
	enr, err := r.Servers.Enrichments(fx.Enrichments)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	igl, err := r.Servers.ResolverConfig(r.Suite.Harness.Enrich.Resolver)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	out, bad := filepath.Join(dir, "out"), filepath.Join(dir, "bad")
	log, err := r.runFurrow(ctx, "enrich",
		"--input-folder", in, "--input-format", fx.Collector,
		"--output-folder", out, "--bad-folder", bad,
		"--enrichments", base64.StdEncoding.EncodeToString(enr),
		"--iglu-config", base64.StdEncoding.EncodeToString(igl),
		"--etl-timestamp", strconv.FormatInt(r.Suite.Harness.Enrich.ETLTstampMs, 10),
		"--partitions", "1")
	if err != nil {
		res.Err = oneLine(err.Error()+": "+lastLines(log, 3), 300)
		return res
	}
	good, err := readLines(out)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	badRows, err := readLines(bad)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	pending, err := readPending(filepath.Join(out, "_run_report.json"))
	if err != nil {
		res.Err = err.Error()
		return res
	}
	r.compareEnrich(fx, good, badRows, pending, res)
	return res
}

// compareEnrich checks furrow's output against the fixture.
func (r *Runner) compareEnrich(fx *EnrichFixture, good, bad []string, pending []string, res *Result) {
	pendingField := map[event.Field]bool{}
	res.Pendings = pending
	for _, name := range pending {
		for _, f := range enrichment.FieldsOf(name) {
			pendingField[f] = true
		}
	}
	if fx.CountsAsserted.Good && fx.ExpectedGoodCount != nil {
		res.check(len(good) == *fx.ExpectedGoodCount, "good events: %d, want %d", len(good), *fx.ExpectedGoodCount)
	}
	for i, want := range fx.ExpectedGood {
		var got []string
		if i < len(good) {
			got = strings.Split(good[i], "\t")
		}
		for j, w := range want {
			if j >= int(event.NumFields) {
				break
			}
			f := event.Field(j)
			if w == nil && has(fx.Unmatchable, f.Name()) {
				continue
			}
			if pendingField[f] {
				res.Pending++
				continue
			}
			g := ""
			if j < len(got) {
				g = got[j]
			}
			wv := ""
			if w != nil {
				wv = strings.ReplaceAll(*w, "{{etl_version}}", r.ETLVersion)
			}
			ok := g == wv
			if !ok && fx.FieldCompare == "json-semantic" {
				ok = jsonEqual(g, wv)
			}
			if got == nil {
				res.check(false, "event %d missing (field %s)", i, f.Name())
				continue
			}
			res.check(ok, "event %d %s: got %q, want %q", i, f.Name(), oneLine(g, 300), oneLine(wv, 300))
		}
	}
	// Bad rows.
	var rows []BadRow
	for _, b := range bad {
		var row BadRow
		if err := json.Unmarshal([]byte(b), &row); err != nil {
			res.check(false, "bad row is not JSON: %s", oneLine(b, 200))
			continue
		}
		rows = append(rows, row)
	}
	for i, row := range rows {
		res.check(len(row.Errors) > 0 && row.Errors[0].Message != "", "bad row %d carries no error message", i)
	}
	switch fx.ExpectedBadMatch {
	case "none":
		res.check(len(rows) == 0, "bad rows: %d, want none (first: %s)", len(rows), firstMsg(rows))
	case "count-only":
		if fx.ExpectedBadCount != nil {
			res.check(len(rows) == *fx.ExpectedBadCount, "bad rows: %d, want %d (first: %s)", len(rows), *fx.ExpectedBadCount, firstMsg(rows))
		}
	case "first-row-only":
		ok := len(rows) > 0 && len(fx.ExpectedBad) > 0 && rows[0].Line == fx.ExpectedBad[0].Line
		res.check(ok, "first bad row line: got %q, want %q", firstLine(rows), fx.ExpectedBad[0].Line)
	case "all-in-order":
		res.check(len(rows) == len(fx.ExpectedBad), "bad rows: %d, want %d", len(rows), len(fx.ExpectedBad))
		for i := range fx.ExpectedBad {
			if i < len(rows) {
				res.check(rows[i].Line == fx.ExpectedBad[i].Line, "bad row %d line: got %q, want %q", i, oneLine(rows[i].Line, 200), oneLine(fx.ExpectedBad[i].Line, 200))
			}
		}
	}
	for kind, pat := range fx.Forbidden {
		re, err := regexp.Compile(pat)
		if err != nil {
			res.check(false, "forbidden pattern %q does not compile: %v", pat, err)
			continue
		}
		lines := good
		if kind == "bad" {
			lines = bad
		}
		hit := ""
		for _, l := range lines {
			if re.MatchString(l) {
				hit = l
				break
			}
		}
		res.check(hit == "", "%s output matches forbidden pattern %q: %s", kind, pat, oneLine(hit, 200))
	}
}

func firstMsg(rows []BadRow) string {
	if len(rows) == 0 || len(rows[0].Errors) == 0 {
		return "-"
	}
	return oneLine(rows[0].Errors[0].Message, 200)
}

func firstLine(rows []BadRow) string {
	if len(rows) == 0 {
		return "(no bad rows)"
	}
	return rows[0].Line
}

// jsonEqual compares two strings as parsed JSON.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// readLines reads every visible file below dir, in key order, as lines.
func readLines(dir string) ([]string, error) {
	var files []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if fi.IsDir() || storage.IsHidden(filepath.ToSlash(rel)) {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var lines []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		s := strings.TrimSuffix(string(b), "\n")
		if s == "" {
			continue
		}
		lines = append(lines, strings.Split(s, "\n")...)
	}
	return lines, nil
}

// readPending returns the pending enrichments from a run report.
func readPending(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("run report: %w", err)
	}
	var rep struct {
		Pending []string `json:"pending_enrichments"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("run report %s: %w", path, err)
	}
	return rep.Pending, nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}
