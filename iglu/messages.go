package iglu

import (
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/message"
)

// reason words one validation failure. Numbers are written exactly and
// without locale grouping, and lists built from JSON objects are sorted, so
// the text is stable; other kinds keep the validator's English wording.
func reason(k jsonschema.ErrorKind, p *message.Printer) string {
	switch k := k.(type) {
	case *kind.Minimum:
		return "minimum: got " + ratString(k.Got) + ", want " + ratString(k.Want)
	case *kind.Maximum:
		return "maximum: got " + ratString(k.Got) + ", want " + ratString(k.Want)
	case *kind.ExclusiveMinimum:
		return "exclusiveMinimum: got " + ratString(k.Got) + ", want more than " + ratString(k.Want)
	case *kind.ExclusiveMaximum:
		return "exclusiveMaximum: got " + ratString(k.Got) + ", want less than " + ratString(k.Want)
	case *kind.MultipleOf:
		return "multipleOf: got " + ratString(k.Got) + ", want a multiple of " + ratString(k.Want)
	case *kind.MinLength:
		return "minLength: got " + strconv.Itoa(k.Got) + ", want " + strconv.Itoa(k.Want)
	case *kind.MaxLength:
		return "maxLength: got " + strconv.Itoa(k.Got) + ", want " + strconv.Itoa(k.Want)
	case *kind.MinItems:
		return "minItems: got " + strconv.Itoa(k.Got) + ", want " + strconv.Itoa(k.Want)
	case *kind.MaxItems:
		return "maxItems: got " + strconv.Itoa(k.Got) + ", want " + strconv.Itoa(k.Want)
	case *kind.MinProperties:
		return "minProperties: got " + strconv.Itoa(k.Got) + ", want " + strconv.Itoa(k.Want)
	case *kind.MaxProperties:
		return "maxProperties: got " + strconv.Itoa(k.Got) + ", want " + strconv.Itoa(k.Want)
	case *kind.AdditionalItems:
		return "last " + strconv.Itoa(k.Count) + " additional item(s) not allowed"
	case *kind.UniqueItems:
		return "items at " + strconv.Itoa(k.Duplicates[0]) + " and " + strconv.Itoa(k.Duplicates[1]) + " are equal"
	case *kind.OneOf:
		if len(k.Subschemas) < 2 {
			return "'oneOf' failed, none matched"
		}
		return "'oneOf' failed, subschemas " + strconv.Itoa(k.Subschemas[0]) + " and " + strconv.Itoa(k.Subschemas[1]) + " both matched"
	case *kind.AdditionalProperties:
		props := slices.Sorted(slices.Values(k.Properties))
		return "additional properties " + quoteList(props) + " not allowed"
	}
	return k.LocalizedString(p)
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, e := range s {
		q[i] = "'" + strings.ReplaceAll(e, "'", `\'`) + "'"
	}
	return strings.Join(q, ", ")
}

// ratString writes r exactly as a decimal when it has at most 30 decimals
// (every JSON number a schema or document is likely to hold), else in
// scientific notation with 20 significant digits.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	// A decimal expansion terminates iff the denominator is 2^a·5^b; it
	// then has max(a, b) digits.
	d := new(big.Int).Set(r.Denom())
	var twos, fives int
	two, five, zero := big.NewInt(2), big.NewInt(5), new(big.Int)
	m := new(big.Int)
	for twos <= 30 {
		if m.Mod(d, two); m.Cmp(zero) != 0 {
			break
		}
		d.Quo(d, two)
		twos++
	}
	for fives <= 30 {
		if m.Mod(d, five); m.Cmp(zero) != 0 {
			break
		}
		d.Quo(d, five)
		fives++
	}
	if d.IsInt64() && d.Int64() == 1 && twos <= 30 && fives <= 30 {
		return r.FloatString(max(twos, fives))
	}
	return new(big.Float).SetPrec(128).SetRat(r).Text('g', 20)
}
