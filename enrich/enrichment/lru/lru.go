// Package lru owns the bounded lookup cache of the enrichments that call
// out of the process (API request, SQL query, weather, currency): a
// least-recently-used map of at most Size entries whose entries expire TTL
// after they were stored, as R108's SynchronizedLruMap-based caches did
// (apirequest.Cache, sqlquery.Cache: an entry older than ttl seconds is
// dropped on read; ttl 0 keeps entries until evicted).
package lru

import (
	"container/list"
	"sync"
	"time"
)

// Cache is a size-bounded LRU map with an optional time to live. It is safe
// for concurrent use.
type Cache[K comparable, V any] struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	now   func() time.Time
	ll    *list.List
	items map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key    K
	val    V
	stored time.Time
}

// New returns a cache of at most size entries (size < 1 is treated as 1)
// whose entries expire ttl after they were stored (ttl <= 0: never). now
// is the clock (nil = time.Now).
func New[K comparable, V any](size int, ttl time.Duration, now func() time.Time) *Cache[K, V] {
	if size < 1 {
		size = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{size: size, ttl: ttl, now: now, ll: list.New(), items: make(map[K]*list.Element)}
}

// Get returns the live value stored under key and marks it most recently
// used. An expired entry is removed and reported absent.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*entry[K, V])
	if c.ttl > 0 && c.now().Sub(e.stored) >= c.ttl {
		c.ll.Remove(el)
		delete(c.items, key)
		return zero, false
	}
	c.ll.MoveToFront(el)
	return e.val, true
}

// Put stores val under key, evicting the least recently used entry when
// the cache is full.
func (c *Cache[K, V]) Put(key K, val V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*entry[K, V])
		e.val, e.stored = val, now
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&entry[K, V]{key, val, now})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*entry[K, V]).key)
	}
}

// Len returns the number of entries held (expired ones included until they
// are read or evicted).
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
