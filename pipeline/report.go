package pipeline

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/furrowdata/furrow/event"
)

// Counters are what one task (or a whole job) read and produced.
type Counters struct {
	Files       int64            `json:"files"`
	BytesIn     int64            `json:"bytes_in"`
	LinesIn     int64            `json:"lines_in"`
	Discarded   int64            `json:"discarded"`   // header / non-tracker lines, skipped as the peer did
	BatchExtra  int64            `json:"batch_extra"` // extra events from lines carrying several events (POST batches)
	Good        int64            `json:"good"`        // good events out of the map stage (enriched or read)
	Bad         int64            `json:"bad"`         // bad rows written
	Duplicates  int64            `json:"duplicates_dropped"`
	Synthetic   int64            `json:"synthetic_duplicates"` // kept with a new event_id
	CrossBatch  int64            `json:"cross_batch_dropped"`
	Written     int64            `json:"written"` // events written by the reduce stage
	ShredBad    int64            `json:"shred_bad"`
	ShuffledRaw int64            `json:"shuffled_bytes"`
	Errors      map[string]int64 `json:"errors,omitempty"` // bad rows per error class
	// Filled counts good events whose key enriched fields are set
	// (geo_country, br_name, refr_medium, mkt_source, event_fingerprint):
	// a quick view of what the enrichments did.
	Filled map[string]int64 `json:"filled,omitempty"`
}

// filledFields are the enriched fields whose fill rate the report shows.
var filledFields = []event.Field{event.GeoCountry, event.BrName, event.RefrMedium, event.MktSource, event.EventFingerprint}

// countFilled counts which of the key enriched fields e has.
func (c *Counters) countFilled(e *event.Event) {
	for _, f := range filledFields {
		if e.Fields[f] != "" {
			if c.Filled == nil {
				c.Filled = make(map[string]int64, len(filledFields))
			}
			c.Filled[f.Name()]++
		}
	}
}

// Add merges o into c.
func (c *Counters) Add(o *Counters) {
	c.Files += o.Files
	c.BytesIn += o.BytesIn
	c.LinesIn += o.LinesIn
	c.Discarded += o.Discarded
	c.BatchExtra += o.BatchExtra
	c.Good += o.Good
	c.Bad += o.Bad
	c.Duplicates += o.Duplicates
	c.Synthetic += o.Synthetic
	c.CrossBatch += o.CrossBatch
	c.Written += o.Written
	c.ShredBad += o.ShredBad
	c.ShuffledRaw += o.ShuffledRaw
	for k, v := range o.Errors {
		if c.Errors == nil {
			c.Errors = make(map[string]int64)
		}
		c.Errors[k] += v
	}
	for k, v := range o.Filled {
		if c.Filled == nil {
			c.Filled = make(map[string]int64)
		}
		c.Filled[k] += v
	}
}

// ErrorClass reduces a bad-row message to its class for the report's
// per-error counts: the values Snowplow messages quote in brackets are
// blanked ("Field [e]: [lol] is not a recognised event code" and
// "Field [e]: [foo] …" count together), and the class is cut to 100
// printable characters.
func ErrorClass(msg string) string {
	var b strings.Builder
	depth := 0
	for _, r := range msg {
		switch {
		case r == '[':
			if depth == 0 {
				b.WriteString("[…]")
			}
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth > 0:
		case r == utf8.RuneError || !unicode.IsPrint(r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
		if b.Len() >= 100 {
			b.WriteString("…")
			break
		}
	}
	return b.String()
}

// CountError records one bad row under the class of its first message.
func (c *Counters) CountError(msg string) {
	if c.Errors == nil {
		c.Errors = make(map[string]int64)
	}
	c.Errors[ErrorClass(msg)]++
}

// Report is the run report written as JSON next to the output
// (<output>/_run_report.json) and summarised on the terminal.
type Report struct {
	Job          string    `json:"job"`
	Version      string    `json:"furrow_version"`
	Input        string    `json:"input"`
	InputFormat  string    `json:"input_format,omitempty"`
	Output       string    `json:"output"`
	BadOutput    string    `json:"bad_output"`
	ETLTimestamp string    `json:"etl_tstamp,omitempty"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	Elapsed      float64   `json:"elapsed_seconds"`
	EventsPerSec float64   `json:"events_per_second"`
	MapTasks     int       `json:"map_tasks"`
	Partitions   int       `json:"partitions"`
	Retries      int       `json:"task_retries"`
	Pending      []string  `json:"pending_enrichments,omitempty"`
	Counters
	Conservation string `json:"conservation"`
	Conserved    bool   `json:"conserved"`
	Success      bool   `json:"success"`
	Failure      string `json:"failure,omitempty"`
}

// checkConservation fills Conservation/Conserved: every line ends as a good
// event, a duplicate dropped, a bad row, or a discarded line.
func (r *Report) checkConservation(reduceRan bool) {
	c := &r.Counters
	left := c.LinesIn + c.BatchExtra
	var right int64
	var expr string
	if reduceRan && r.Job != "enrich" {
		right = c.Written + c.Duplicates + c.CrossBatch + c.Bad + c.ShredBad + c.Discarded
		expr = fmt.Sprintf("lines_in %d + batch_extra %d = written %d + duplicates_dropped %d + cross_batch_dropped %d + bad %d + shred_bad %d + discarded %d",
			c.LinesIn, c.BatchExtra, c.Written, c.Duplicates, c.CrossBatch, c.Bad, c.ShredBad, c.Discarded)
	} else {
		right = c.Good + c.Bad + c.Discarded
		expr = fmt.Sprintf("lines_in %d + batch_extra %d = good %d + bad %d + discarded %d",
			c.LinesIn, c.BatchExtra, c.Good, c.Bad, c.Discarded)
	}
	r.Conserved = left == right
	if r.Conserved {
		r.Conservation = expr + ": holds"
	} else {
		r.Conservation = expr + fmt.Sprintf(": VIOLATED (%d ≠ %d)", left, right)
	}
}

// JSON renders the report, indented.
func (r *Report) JSON() []byte {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		panic("pipeline: marshalling report: " + err.Error())
	}
	return append(b, '\n')
}

// Summary renders the report for a terminal, a few lines.
func (r *Report) Summary() string {
	var b strings.Builder
	status := "succeeded"
	if !r.Success {
		status = "FAILED: " + r.Failure
	}
	fmt.Fprintf(&b, "furrow %s %s in %s\n", r.Job, status, time.Duration(r.Elapsed*float64(time.Second)).Round(time.Millisecond))
	fmt.Fprintf(&b, "  input   %s (%d files, %s, %d lines)\n", r.Input, r.Files, HumanBytes(r.BytesIn), r.LinesIn)
	if r.Job == "enrich" {
		fmt.Fprintf(&b, "  events  %d good, %d bad rows, %d discarded lines (%.0f events/s)\n", r.Good, r.Bad, r.Discarded, r.EventsPerSec)
	} else {
		fmt.Fprintf(&b, "  events  %d written, %d duplicates dropped, %d synthetic duplicates re-identified, %d bad rows, %d discarded (%.0f events/s)\n",
			r.Written, r.Duplicates+r.CrossBatch, r.Synthetic, r.Bad+r.ShredBad, r.Discarded, r.EventsPerSec)
	}
	if len(r.Filled) > 0 && r.Good > 0 {
		b.WriteString("  filled ")
		for i, f := range filledFields {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %.0f%%", f.Name(), 100*float64(r.Filled[f.Name()])/float64(r.Good))
		}
		b.WriteString("\n")
	}
	if len(r.Pending) > 0 {
		fmt.Fprintf(&b, "  pending enrichments (not implemented, fields left empty): %s\n", strings.Join(r.Pending, ", "))
	}
	if len(r.Errors) > 0 {
		type kv struct {
			k string
			v int64
		}
		var errs []kv
		for k, v := range r.Errors {
			errs = append(errs, kv{k, v})
		}
		sort.Slice(errs, func(i, j int) bool {
			if errs[i].v != errs[j].v {
				return errs[i].v > errs[j].v
			}
			return errs[i].k < errs[j].k
		})
		if len(errs) > 5 {
			errs = errs[:5]
		}
		b.WriteString("  top bad-row errors:\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "    %6d  %s\n", e.v, e.k)
		}
	}
	fmt.Fprintf(&b, "  %s\n", r.Conservation)
	fmt.Fprintf(&b, "  output  %s\n  bad     %s\n", r.Output, r.BadOutput)
	return b.String()
}

// HumanBytes renders n bytes as B/KiB/MiB/GiB.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// counterSet accumulates committed task counters for a job.
type counterSet struct {
	mu sync.Mutex
	c  Counters
}

func (s *counterSet) add(c *Counters) {
	s.mu.Lock()
	s.c.Add(c)
	s.mu.Unlock()
}

func (s *counterSet) snapshot() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out Counters
	out.Add(&s.c) // a deep copy: Add merges the maps into fresh ones
	return out
}
