package local_test

import (
	"testing"

	"github.com/furrowdata/furrow/storage/local"
	"github.com/furrowdata/furrow/storage/storetest"
)

func TestAcceptance(t *testing.T) {
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, s)
}
