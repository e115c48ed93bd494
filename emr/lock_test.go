package emr

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/furrowdata/furrow/storage/location"
	"github.com/furrowdata/furrow/storage/s3"
)

// lockContract: of many concurrent acquisitions exactly one wins; the
// losers get ErrLocked naming the holder; a takeover makes the old
// holder's Update and Release fail with ErrLockLost; Release deletes.
func lockContract(t *testing.T, url string, opts location.Options) {
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	locks := make([]*Lock, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			locks[i], errs[i] = AcquireLock(ctx, url, opts, LockState{RunID: "2026-11-02-10-00-0" + string(rune('0'+i)), Started: time.Now()})
		}()
	}
	wg.Wait()
	var winner *Lock
	for i := range n {
		switch {
		case errs[i] == nil:
			if winner != nil {
				t.Fatal("two runs acquired the lock")
			}
			winner = locks[i]
		case !errors.Is(errs[i], ErrLocked):
			t.Fatalf("acquire: %v", errs[i])
		}
	}
	if winner == nil {
		t.Fatal("no run acquired the lock")
	}
	st, err := ReadLock(ctx, url, opts)
	if err != nil || st == nil || st.Token != winner.State().Token {
		t.Fatalf("ReadLock = %+v, %v; want the winner's state", st, err)
	}
	next := winner.State()
	next.Done = []string{StepStaging}
	if err := winner.Update(ctx, next); err != nil {
		t.Fatalf("update: %v", err)
	}
	if st, _ := ReadLock(ctx, url, opts); len(st.Done) != 1 {
		t.Fatalf("update not visible: %+v", st)
	}

	taker, err := TakeOverLock(ctx, url, opts, LockState{RunID: winner.State().RunID})
	if err != nil {
		t.Fatal(err)
	}
	if err := winner.Update(ctx, next); !errors.Is(err, ErrLockLost) {
		t.Fatalf("update after a takeover: %v, want ErrLockLost", err)
	}
	if err := winner.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Fatalf("release after a takeover: %v, want ErrLockLost", err)
	}
	if err := taker.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := ReadLock(ctx, url, opts); err != nil || st != nil {
		t.Fatalf("after release: %+v %v", st, err)
	}
	for i := range n {
		if locks[i] != nil && locks[i] != winner {
			locks[i].Close()
		}
	}
}

func TestLockLocal(t *testing.T) {
	lockContract(t, filepath.Join(t.TempDir(), "locks", "furrow.lock"), location.Options{})
}

func TestLockMinIO(t *testing.T) {
	e := newMinIOEnv(t)
	opts := location.Options{S3: s3.Config{
		Endpoint: e.m.Endpoint, PathStyle: true, Region: "us-east-1", SSE: s3.SSEAES256,
		Credentials: e.m.RootCredentials(),
	}}
	lockContract(t, "s3://etl/locks/furrow.lock", opts)
}

func TestLockRefusesHDFS(t *testing.T) {
	_, err := AcquireLock(context.Background(), "hdfs://namenode:8020/furrow.lock", location.Options{}, LockState{RunID: "x"})
	if err == nil {
		t.Fatal("hdfs lock accepted")
	}
}
