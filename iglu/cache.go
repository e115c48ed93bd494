package iglu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/furrowdata/furrow/event"
)

// result is the outcome of resolving one key: a schema, or the failure with
// the per-repository history needed to retry transient errors later.
type result struct {
	schema *Schema
	err    *ResolutionError
	// attempts counts the lookups that went to the registries for this key.
	attempts int
}

// retryable reports whether a failed result may be looked up again: some
// repository failed with a transient error and the key has been tried fewer
// than maxAttempts times (iglu-scala-client's rule).
func (r *result) retryable(maxAttempts int) bool {
	return r.err != nil && r.attempts < maxAttempts && len(r.err.transientRepos()) > 0
}

type cacheEntry struct {
	res     *result
	stored  time.Time
	lastUse atomic.Uint64
}

// lruCache is a bounded map of lookup results with least-recently-used
// eviction and an optional time to live. Hits take a read lock only (the
// use stamp is atomic); eviction scans for the oldest stamp, which is cheap
// because inserts are rare (one per schema key and TTL period).
type lruCache struct {
	size int
	ttl  time.Duration // 0 = forever
	now  func() time.Time

	mu      sync.RWMutex
	entries map[event.SchemaKey]*cacheEntry
	clock   atomic.Uint64
}

func newLRUCache(size int, ttl time.Duration, now func() time.Time) *lruCache {
	if size <= 0 {
		return nil
	}
	return &lruCache{size: size, ttl: ttl, now: now, entries: make(map[event.SchemaKey]*cacheEntry, min(size, 1024))}
}

// get returns the cached result of key, or nil when absent or expired.
func (c *lruCache) get(key event.SchemaKey) *result {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	e := c.entries[key]
	c.mu.RUnlock()
	if e == nil {
		return nil
	}
	if c.ttl > 0 && c.now().Sub(e.stored) >= c.ttl {
		return nil
	}
	e.lastUse.Store(c.clock.Add(1))
	return e.res
}

// put stores res for key, evicting the least recently used entry when full.
func (c *lruCache) put(key event.SchemaKey, res *result) {
	if c == nil {
		return
	}
	e := &cacheEntry{res: res, stored: c.now()}
	e.lastUse.Store(c.clock.Add(1))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.size {
		c.evictLocked()
	}
	c.entries[key] = e
}

func (c *lruCache) evictLocked() {
	var (
		victim event.SchemaKey
		oldest uint64
		found  bool
	)
	now := c.now()
	for k, e := range c.entries {
		if c.ttl > 0 && now.Sub(e.stored) >= c.ttl {
			victim, found = k, true
			break
		}
		if u := e.lastUse.Load(); !found || u < oldest {
			victim, oldest, found = k, u, true
		}
	}
	if found {
		delete(c.entries, victim)
	}
}
