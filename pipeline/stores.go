package pipeline

import (
	"context"

	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
)

// openStore opens a store rooted at a user-given location with the job's
// storage options (S3 encryption, endpoint, HDFS settings).
func (j *job) openStore(ctx context.Context, raw string) (storage.Store, error) {
	return location.Open(ctx, raw, j.cfg.Storage)
}
