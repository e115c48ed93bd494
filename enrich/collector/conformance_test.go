package collector_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/enrich/collector"
	"github.com/furrowdata/furrow/enrich/collector/collectortest"
	"github.com/furrowdata/furrow/internal/testservers"
)

// The peer's acceptance fixtures (../shared/conformance, outside the
// repository) exercise the collector stage too: every input must frame and
// parse into payloads, discards or exactly the bad rows the peer expects
// where those rows come from the loaders.

type fixture struct {
	Name        string   `json:"name"`
	Collector   string   `json:"collector"`
	InputLines  []string `json:"input_lines"`
	InputFile   string   `json:"input_file"`
	InputThrift []struct {
		TBinaryBase64 string `json:"tbinary_base64"`
	} `json:"input_thrift"`
	InputFileDecoded *struct {
		ContentText string `json:"content_text"`
	} `json:"input_file_decoded"`
	ExpectedGood      [][]*string `json:"expected_good"`
	ExpectedGoodCount *int        `json:"expected_good_count"`
	ExpectedBadCount  int         `json:"expected_bad_count"`
	ExpectedBad       []struct {
		Line   string `json:"line"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"expected_bad"`
	ExpectedBadMatch string `json:"expected_bad_match"`
}

func sharedDir(t *testing.T) string { return testservers.SharedPath(t, "conformance") }

// loaderMessages are the bad-row messages the loaders produce (the others
// come from adapters and enrichments).
var loaderMessages = []string{
	"Line does not match", "Unexpected exception converting date", "Request path ", "Error deserializing raw event",
	"Only GET operations", "Exception extracting name-value pairs", "Operation must be", "Field [Body]",
	"Field [Content type]", "Verifying record as", "Request does not contain a path", "Unparsable JSON",
}

func isLoaderMessage(m string) bool {
	for _, p := range loaderMessages {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

type badRow struct {
	line string
	msgs []string
}

func TestConformanceFixtures(t *testing.T) {
	shared := sharedDir(t)
	files, err := filepath.Glob(filepath.Join(shared, "enrich", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		var fx fixture
		testservers.ReadJSON(t, file, &fx)
		t.Run(fx.Name, func(t *testing.T) {
			format := mustLookup(t, fx.Collector)
			var in bytes.Buffer
			for _, l := range fx.InputLines {
				in.WriteString(l + "\n")
			}
			if fx.InputFile != "" {
				data, err := os.ReadFile(filepath.Join(shared, "data", fx.InputFile))
				if err != nil {
					t.Skipf("input file %s missing from the fixtures", fx.InputFile)
				}
				in.Write(data)
				if fx.InputFileDecoded != nil {
					r, _, err := collector.Decompress(bytes.NewReader(data))
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(r)
					if err != nil || string(got) != fx.InputFileDecoded.ContentText {
						t.Fatalf("%s decodes to %q, %v; fixture says %q", fx.InputFile, got, err, fx.InputFileDecoded.ContentText)
					}
				}
			}
			if len(fx.InputThrift) > 0 {
				var recs [][]byte
				for _, r := range fx.InputThrift {
					b, err := base64.StdEncoding.DecodeString(r.TBinaryBase64)
					if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, b)
				}
				if err := collectortest.WriteThriftBlockFile(&in, recs, true); err != nil {
					t.Fatal(err)
				}
			}

			r, _, err := collector.Decompress(&in)
			if err != nil {
				t.Fatal(err)
			}
			rr := format.NewReader(r)
			var payloads []collector.Payload
			var bad []badRow
			records := 0
			for {
				rec, err := rr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				records++
				ps, err := format.Parse(rec.Data)
				if err != nil {
					bad = append(bad, badRow{format.BadLine(rec.Data), collector.ErrorMessages(err)})
					continue
				}
				payloads = append(payloads, ps...)
			}
			if records == 0 {
				t.Fatal("no records")
			}

			// The loader-level bad rows the peer expects, in order.
			var want []badRow
			for _, b := range fx.ExpectedBad {
				row := badRow{line: b.Line}
				for _, e := range b.Errors {
					row.msgs = append(row.msgs, e.Message)
				}
				if len(row.msgs) > 0 && isLoaderMessage(row.msgs[0]) {
					want = append(want, row)
				}
			}
			if len(want) > len(bad) {
				t.Fatalf("bad rows %v, want at least %v", bad, want)
			}
			for i, w := range want {
				wantEqual(t, bad[i], w)
			}
			if fx.ExpectedBadMatch == "all-in-order" || fx.ExpectedBadMatch == "none" {
				// Every other expected bad row is an adapter's: it needs a payload.
				if len(bad) != len(want) {
					t.Fatalf("bad rows %v, want %v", bad, want)
				}
			}
			if fx.ExpectedGoodCount != nil && len(payloads) > *fx.ExpectedGoodCount+fx.ExpectedBadCount {
				t.Fatalf("%d payloads for %d good and %d bad events", len(payloads), *fx.ExpectedGoodCount, fx.ExpectedBadCount)
			}
			if fx.ExpectedGoodCount != nil && *fx.ExpectedGoodCount > 0 && len(payloads) == 0 {
				t.Fatal("no payloads")
			}
			// collector_tstamp (field 3) comes from the loader (the tsv and
			// ndjson adapters set their own).
			hasTime := fx.Collector == "cloudfront" || fx.Collector == "clj-tomcat" || fx.Collector == "thrift"
			if hasTime && len(payloads) == 1 && len(fx.ExpectedGood) == 1 && len(fx.ExpectedGood[0]) > 3 && fx.ExpectedGood[0][3] != nil {
				if got := payloads[0].Context.Timestamp.Format("2006-01-02 15:04:05.000"); got != *fx.ExpectedGood[0][3] {
					t.Fatalf("collector_tstamp %s, want %s", got, *fx.ExpectedGood[0][3])
				}
			}
		})
	}
}

// The fixtures' Thrift records, serialised by the peer's libthrift, are
// byte for byte what collectortest serialises from the same fields.
func TestConformanceThriftSerialisation(t *testing.T) {
	shared := sharedDir(t)
	for _, name := range []string{"CollectorPayload1LzoSpec", "LzoGoogleAnalyticsEventSpec", "SnowplowRawEventLzoSpec"} {
		raw, err := os.ReadFile(filepath.Join(shared, "enrich", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var fx struct {
			InputThrift []struct {
				Struct        string          `json:"struct"`
				Fields        json.RawMessage `json:"fields"`
				TBinaryBase64 string          `json:"tbinary_base64"`
			} `json:"input_thrift"`
		}
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatal(err)
		}
		for _, rec := range fx.InputThrift {
			var got []byte
			switch rec.Struct {
			case "CollectorPayload":
				var p collectortest.CollectorPayload
				if err := json.Unmarshal(rec.Fields, &p); err != nil {
					t.Fatal(err)
				}
				if got, err = collectortest.SerializeCollectorPayload(p); err != nil {
					t.Fatal(err)
				}
			case "SnowplowRawEvent":
				var f struct {
					collectortest.SnowplowRawEvent
					Payload struct {
						Fields struct {
							Protocol struct{ Value int32 } `json:"protocol"`
							Format   struct{ Value int32 } `json:"format"`
							Data     string                `json:"data"`
						} `json:"fields"`
					} `json:"payload"`
				}
				if err := json.Unmarshal(rec.Fields, &f); err != nil {
					t.Fatal(err)
				}
				e := f.SnowplowRawEvent
				e.HasPayload, e.Protocol, e.Format, e.Data = true, f.Payload.Fields.Protocol.Value, f.Payload.Fields.Format.Value, f.Payload.Fields.Data
				if got, err = collectortest.SerializeSnowplowRawEvent(e); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("unknown struct %s", rec.Struct)
			}
			if enc := base64.StdEncoding.EncodeToString(got); enc != rec.TBinaryBase64 {
				t.Fatalf("%s: serialised\n%s\nwant\n%s", name, enc, rec.TBinaryBase64)
			}
		}
	}
}
