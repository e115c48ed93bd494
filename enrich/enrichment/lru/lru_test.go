package lru

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[string, int](2, 0, nil)
	c.Put("a", 1)
	c.Put("b", 2)
	if v, ok := c.Get("a"); !ok || v != 1 { // a is now most recent
		t.Fatalf("Get(a) = %v, %v", v, ok)
	}
	c.Put("c", 3) // evicts b
	if _, ok := c.Get("b"); ok {
		t.Error("b survived eviction")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Errorf("Get(%s) = %v, %v; want %d", k, v, ok, want)
		}
	}
	c.Put("a", 10)
	if v, _ := c.Get("a"); v != 10 || c.Len() != 2 {
		t.Errorf("overwrite: a = %d, len %d", v, c.Len())
	}
}

func TestTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	c := New[int, string](10, 60*time.Second, func() time.Time { return now })
	c.Put(1, "x")
	now = now.Add(59 * time.Second)
	if _, ok := c.Get(1); !ok {
		t.Fatal("entry expired before its ttl")
	}
	now = now.Add(time.Second)
	if _, ok := c.Get(1); ok {
		t.Fatal("entry outlived its ttl")
	}
	if c.Len() != 0 {
		t.Errorf("expired entry kept: len %d", c.Len())
	}
}

func TestConcurrent(t *testing.T) {
	c := New[string, int](50, time.Minute, nil)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := fmt.Sprint(i % 80)
				if v, ok := c.Get(k); ok && v != i%80 {
					t.Errorf("Get(%s) = %d", k, v)
					return
				}
				c.Put(k, i%80)
			}
		}()
	}
	wg.Wait()
	if c.Len() > 50 {
		t.Errorf("cache grew to %d entries, bound 50", c.Len())
	}
}
