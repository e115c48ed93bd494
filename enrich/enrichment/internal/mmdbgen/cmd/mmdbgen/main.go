// Command mmdbgen writes furrow's MaxMind test databases (package mmdbgen)
// into the folder given as its argument (default testdata/maxmind).
//
//	go run ./enrich/enrichment/internal/mmdbgen/cmd/mmdbgen testdata/maxmind
package main

import (
	"fmt"
	"os"

	"github.com/furrowdata/furrow/enrich/enrichment/internal/mmdbgen"
)

func main() {
	dir := "testdata/maxmind"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := mmdbgen.WriteAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "mmdbgen:", err)
		os.Exit(1)
	}
}
