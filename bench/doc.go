// Package bench holds furrow's benchmark suite for the performance-critical
// paths (enrich, dedupe, shuffle, shred encode) and, in bench/gen, the
// deterministic data generator they and the bundled sample use.
//
// Run the suite for benchstat with
//
//	make bench > new.txt && benchstat old.txt new.txt
//
// Every benchmark reports events/s per core next to ns/op, MB/s (input bytes)
// and allocs/op; `make test` runs each once so that the suite never rots.
package bench
