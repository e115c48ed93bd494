package pipeline

import (
	"context"

	"github.com/furrowdata/furrow/storage"
	"github.com/furrowdata/furrow/storage/location"
)

// openStore opens a store rooted at a user-given location with the job's
// storage options (S3 encryption, endpoint, HDFS settings).
func (j *Job) openStore(ctx context.Context, role, raw string) (storage.Store, error) {
	s, err := location.Open(ctx, raw, j.cfg.Storage)
	if err != nil {
		return nil, err
	}
	if j.cfg.WrapStore != nil {
		s = j.cfg.WrapStore(role, s)
	}
	return s, nil
}
