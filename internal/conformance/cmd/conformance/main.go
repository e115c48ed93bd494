// Command conformance runs the peer's test suite (../shared/conformance)
// through a furrow binary and prints a table per spec plus one summary line:
//
//	conformance: <passing>/<specs> specs, <matching>/<fields> fields, <pending> pending, …
//
// It exits 1 when any fixture that ran has a mismatch or an error. When
// ../shared is absent it says so and exits 0, so `make test` passes for a
// user who cloned only the project.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/furrowdata/furrow/internal/conformance"
	"github.com/furrowdata/furrow/internal/testservers"
)

func main() {
	furrow := flag.String("furrow", "bin/furrow", "furrow binary to test")
	shared := flag.String("shared", "../shared", "folder holding conformance/, iglu-central/ and reference/")
	only := flag.String("only", "", "run only fixtures whose name matches this regexp")
	verbose := flag.Bool("v", false, "print every mismatch")
	jobs := flag.Int("j", 2, "fixtures run at once")
	flag.Parse()
	os.Exit(run(*furrow, *shared, *only, *verbose, *jobs))
}

func run(furrow, shared, only string, verbose bool, jobs int) int {
	dir := filepath.Join(shared, "conformance")
	if _, err := os.Stat(dir); err != nil {
		fmt.Printf("conformance: skipped: %s is absent (the peer fixtures live beside the checkout in CI)\n", dir)
		return 0
	}
	suite, err := conformance.Load(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		return 2
	}
	servers, err := conformance.StartServers(shared)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		return 2
	}
	defer servers.Close()
	ver, err := exec.Command(furrow, "version", "--etl").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "conformance: asking %s for its version: %v\n", furrow, err)
		return 2
	}
	ref := filepath.Join(shared, "reference")
	r := &conformance.Runner{
		Furrow: furrow, Shared: shared, Servers: servers, Suite: suite,
		ETLVersion: strings.TrimSpace(string(ver)), Timeout: 3 * time.Minute,
		Env: []string{
			"FURROW_UA_UTILS_TABLE=" + filepath.Join(ref, "user-agent-utils-1.21.json"),
			"FURROW_REFERER_DATABASE=" + filepath.Join(ref, "referers-0.3.0.yml"),
			"FURROW_UA_PARSER_REGEXES=" + filepath.Join(ref, "uap-regexes-java-1.3.0.yaml"),
		},
	}
	// The peer's external services, on loopback: its API mock, an Open
	// Exchange Rates server with the rates its fixtures were computed from,
	// a private PostgreSQL, and furrow's copies of schemas the Iglu Central
	// mirror lacks.
	if err := servers.ServeExtraIglu(filepath.Join("enrich", "enrichment", "testdata", "lookups-iglu")); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		return 2
	}
	api, err := testservers.NewAPIMock()
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		return 2
	}
	defer api.Close()
	servers.APIURL = api.URL
	oer, err := testservers.NewOER(testservers.ConformanceOERRates())
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		return 2
	}
	defer oer.Close()
	servers.OERKey = "furrow-conformance"
	r.Env = append(r.Env, "FURROW_OER_ENDPOINT="+oer.URL)
	if pg, err := testservers.NewPostgres(); err == nil {
		defer pg.Close()
		r.Postgres = pg
		servers.PGHost, servers.PGPort = pg.Host, pg.Port
	} else if os.Getenv("CI") == "true" {
		fmt.Fprintln(os.Stderr, "conformance: CI=true but PostgreSQL:", err)
		return 2
	} else {
		r.PostgreSQLMissing = err.Error()
	}
	if d, err := conformance.StartDynalite("."); err == nil {
		r.Dynamo = d
		defer d.Close()
	} else if os.Getenv("CI") == "true" {
		fmt.Fprintln(os.Stderr, "conformance: CI=true but", err)
		return 2
	}
	var re *regexp.Regexp
	if only != "" {
		if re, err = regexp.Compile(only); err != nil {
			fmt.Fprintln(os.Stderr, "conformance: -only:", err)
			return 2
		}
	}
	ctx := context.Background()
	var (
		mu      sync.Mutex
		results []*conformance.Result
		wg      sync.WaitGroup
		sem     = make(chan struct{}, max(1, jobs))
	)
	add := func(res *conformance.Result) {
		mu.Lock()
		results = append(results, res)
		mu.Unlock()
	}
	for _, fx := range suite.Enrich {
		if re != nil && !re.MatchString(fx.Name) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			add(r.RunEnrich(ctx, fx))
		}()
	}
	for _, fx := range suite.Shred {
		if re != nil && !re.MatchString(fx.Name) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			add(r.RunShred(ctx, fx))
		}()
	}
	wg.Wait()
	conformance.Print(os.Stdout, results, verbose)
	s := conformance.Summarize(results)
	if s.Mismatches > 0 || s.Errors > 0 {
		return 1
	}
	return 0
}
