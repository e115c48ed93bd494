package pipeline

import (
	"context"
	"errors"
	"math/rand"
	"testing"
	"time"
)

func TestOrderedParallelKeepsOrder(t *testing.T) {
	const n = 2000
	i := 0
	var got []int
	err := orderedParallel(context.Background(), 4, 8,
		func() (*[2]int, bool, error) {
			if i == n {
				return nil, false, nil
			}
			i++
			return &[2]int{i, 0}, true, nil
		},
		func(_ int, t *[2]int) {
			if rand.Intn(10) == 0 {
				time.Sleep(time.Microsecond * time.Duration(rand.Intn(200)))
			}
			t[1] = t[0] * 2
		},
		func(t *[2]int) error {
			got = append(got, t[1])
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("consumed %d items, want %d", len(got), n)
	}
	for k, v := range got {
		if v != (k+1)*2 {
			t.Fatalf("item %d = %d, want %d: order lost", k, v, (k+1)*2)
		}
	}
}

func TestOrderedParallelStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	i := 0
	err := orderedParallel(context.Background(), 2, 2,
		func() (int, bool, error) { i++; return i, true, nil }, // endless
		func(int, int) {},
		func(v int) error {
			if v == 50 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}
