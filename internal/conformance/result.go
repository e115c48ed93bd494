package conformance

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Result is the outcome of one fixture.
type Result struct {
	Spec    string
	Kind    string // "enrich" or "shred"
	Skipped string // why the fixture could not run here ("" = it ran)
	Err     string // furrow failed to run
	Checks  int    // fields and assertions compared
	Matched int
	Pending int // fields of enrichments furrow does not implement yet
	// Mismatches describe every failed check, one line each.
	Mismatches []string
	Pendings   []string // names of the pending enrichments
}

// Pass reports whether the fixture ran and every check matched, none pending.
func (r *Result) Pass() bool {
	return r.Skipped == "" && r.Err == "" && len(r.Mismatches) == 0 && r.Pending == 0
}

func (r *Result) check(ok bool, format string, args ...any) {
	r.Checks++
	if ok {
		r.Matched++
		return
	}
	r.Mismatches = append(r.Mismatches, fmt.Sprintf(format, args...))
}

func (r *Result) status() string {
	switch {
	case r.Skipped != "":
		return "skip"
	case r.Err != "":
		return "ERROR"
	case len(r.Mismatches) > 0:
		return "FAIL"
	case r.Pending > 0:
		return "pending"
	}
	return "pass"
}

// Summary is the suite outcome.
type Summary struct {
	Specs, Passing, Skipped, Checks, Matched, Pending, Mismatches, Errors int
}

// Summarize totals results.
func Summarize(rs []*Result) Summary {
	var s Summary
	for _, r := range rs {
		s.Specs++
		if r.Pass() {
			s.Passing++
		}
		if r.Skipped != "" {
			s.Skipped++
			continue
		}
		if r.Err != "" {
			s.Errors++
		}
		s.Checks += r.Checks + r.Pending
		s.Matched += r.Matched
		s.Pending += r.Pending
		s.Mismatches += len(r.Mismatches)
	}
	return s
}

// Line is the one summary line `make conformance` ends with.
func (s Summary) Line() string {
	return fmt.Sprintf("conformance: %d/%d specs, %d/%d fields, %d pending, %d mismatches, %d errors, %d skipped",
		s.Passing, s.Specs, s.Matched, s.Checks, s.Pending, s.Mismatches, s.Errors, s.Skipped)
}

// Print writes one table per kind, the details of every failure and the
// skipped fixtures with their reasons, then the summary line.
func Print(w io.Writer, rs []*Result, verbose bool) {
	for _, kind := range []string{"enrich", "shred"} {
		var rows []*Result
		for _, r := range rs {
			if r.Kind == kind {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].Spec < rows[j].Spec })
		fmt.Fprintf(w, "\n%s fixtures\n", kind)
		fmt.Fprintf(w, "  %-42s %-7s %7s %7s %7s  %s\n", "spec", "status", "checks", "match", "pending", "note")
		for _, r := range rows {
			note := r.Skipped
			if r.Err != "" {
				note = r.Err
			} else if len(r.Mismatches) > 0 {
				note = fmt.Sprintf("%d mismatches", len(r.Mismatches))
			} else if r.Pending > 0 {
				note = "pending: " + strings.Join(r.Pendings, ", ")
			}
			fmt.Fprintf(w, "  %-42s %-7s %7d %7d %7d  %s\n", r.Spec, r.status(), r.Checks, r.Matched, r.Pending, oneLine(note, 120))
		}
	}
	for _, r := range rs {
		if len(r.Mismatches) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s mismatches:\n", r.Spec)
		max := 15
		if verbose {
			max = len(r.Mismatches)
		}
		for i, m := range r.Mismatches {
			if i == max {
				fmt.Fprintf(w, "  … %d more (use -v)\n", len(r.Mismatches)-max)
				break
			}
			fmt.Fprintf(w, "  - %s\n", oneLine(m, 400))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, Summarize(rs).Line())
}
