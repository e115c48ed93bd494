package hdfs_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/furrowdata/furrow/storage/hdfs"
	"github.com/furrowdata/furrow/storage/storetest"
)

// TestLiveNamenode runs the store contract against a real cluster when
// HDFS_NAMENODE (host:port) is set, under /tmp/furrow-storetest-<random>.
// No HDFS can run on the CI machines, so it is skipped there.
func TestLiveNamenode(t *testing.T) {
	nn := os.Getenv("HDFS_NAMENODE")
	if nn == "" {
		t.Skip("skipping: HDFS_NAMENODE is not set (no HDFS cluster on this machine; HDFS is tested live only where one exists)")
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	root := "/tmp/furrow-storetest-" + hex.EncodeToString(rnd[:])
	st, err := hdfs.New(context.Background(), nn, root, hdfs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Run(t, st)
}
