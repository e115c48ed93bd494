package enrich

import (
	"errors"
	"fmt"
	"time"
)

// Field-length policies (Config.FieldLengths).
const (
	// LengthsKeep keeps values longer than their atomic.events column, as
	// Spark Enrich R108 did (the loader truncated them).
	LengthsKeep = "keep"
	// LengthsFail fails an event whose value exceeds its column, as modern
	// Snowplow enrich does.
	LengthsFail = "fail"
)

// Config configures an Enricher.
type Config struct {
	// ETLVersion is written to v_etl. Default "furrow-" + Version. R108
	// wrote "<host>-common-<version>", e.g. "spark-1.15.0-common-0.34.0";
	// set it to that to reproduce R108 output exactly.
	ETLVersion string
	// ETLTimestamp is the run's etl_tstamp (Spark Enrich's --etl-timestamp).
	// Required.
	ETLTimestamp time.Time
	// FieldLengths is what happens to a value longer than its
	// atomic.events column: LengthsKeep (default, R108) or LengthsFail.
	// Type errors (a non-integer in an int field …) always fail the event.
	FieldLengths string
}

// withDefaults returns c with the defaults applied.
func (c Config) withDefaults() Config {
	if c.ETLVersion == "" {
		c.ETLVersion = "furrow-" + Version
	}
	if c.FieldLengths == "" {
		c.FieldLengths = LengthsKeep
	}
	return c
}

// Validate reports every problem of the config (after defaults), naming the
// key.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.ETLTimestamp.IsZero() {
		errs = append(errs, errors.New("enrich config: ETLTimestamp is required"))
	} else if y := c.ETLTimestamp.UTC().Year(); y < 0 || y > 9999 {
		errs = append(errs, fmt.Errorf("enrich config: ETLTimestamp %s is outside years 0000-9999", c.ETLTimestamp))
	}
	if len(c.ETLVersion) > 100 {
		errs = append(errs, fmt.Errorf("enrich config: ETLVersion %q is longer than the 100 characters of v_etl", c.ETLVersion))
	}
	for i := 0; i < len(c.ETLVersion); i++ {
		if ch := c.ETLVersion[i]; ch < 0x20 || ch == 0x7f {
			errs = append(errs, fmt.Errorf("enrich config: ETLVersion %q contains a control character", c.ETLVersion))
			break
		}
	}
	if c.FieldLengths != LengthsKeep && c.FieldLengths != LengthsFail {
		errs = append(errs, fmt.Errorf("enrich config: FieldLengths %q is not %q or %q", c.FieldLengths, LengthsKeep, LengthsFail))
	}
	return errors.Join(errs...)
}
