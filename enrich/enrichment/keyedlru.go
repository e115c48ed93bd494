package enrichment

import (
	"hash/maphash"
	"strings"
	"sync"
)

// keyedLRU is a bounded least-recently-used cache from keys to values,
// split into shards with one mutex each so that concurrent enrichers rarely
// wait on each other. It never holds more than its capacity (rounded up to
// a multiple of the shard count); the least recently used entry of a full
// shard is replaced. A get or a put of an existing key allocates nothing.
// Safe for concurrent use.
type keyedLRU[K comparable, V any] struct {
	seed   maphash.Seed
	shards []keyedLRUShard[K, V]
}

const keyedLRUShards = 16

type keyedLRUShard[K comparable, V any] struct {
	mu         sync.Mutex
	index      map[K]int32
	entries    []keyedLRUEntry[K, V]
	head, tail int32 // most and least recently used; -1 when empty
	capacity   int
	_          [40]byte // keep neighbouring shards' mutexes off one cache line
}

type keyedLRUEntry[K comparable, V any] struct {
	key        K
	val        V
	prev, next int32
}

// newKeyedLRU returns a cache holding up to about capacity entries
// (capacity ≥ 1).
func newKeyedLRU[K comparable, V any](capacity int) *keyedLRU[K, V] {
	capacity = max(capacity, 1)
	n := min(keyedLRUShards, capacity)
	per := (capacity + n - 1) / n
	c := &keyedLRU[K, V]{seed: maphash.MakeSeed(), shards: make([]keyedLRUShard[K, V], n)}
	for i := range c.shards {
		s := &c.shards[i]
		s.index = make(map[K]int32, per)
		s.entries = make([]keyedLRUEntry[K, V], 0, per)
		s.head, s.tail, s.capacity = -1, -1, per
	}
	return c
}

func (c *keyedLRU[K, V]) shard(key K) *keyedLRUShard[K, V] {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	return &c.shards[maphash.Comparable(c.seed, key)%uint64(len(c.shards))]
}

// get returns the value cached for key and marks it most recently used.
func (c *keyedLRU[K, V]) get(key K) (V, bool) {
	s := c.shard(key)
	s.mu.Lock()
	i, ok := s.index[key]
	if !ok {
		s.mu.Unlock()
		var zero V
		return zero, false
	}
	s.moveToFront(i)
	v := s.entries[i].val
	s.mu.Unlock()
	return v, true
}

// put stores val for key (a string key is copied, so the caller's string
// may point into a larger buffer).
func (c *keyedLRU[K, V]) put(key K, val V) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[key]; ok {
		s.entries[i].val = val
		s.moveToFront(i)
		return
	}
	if sk, ok := any(key).(string); ok {
		key = any(strings.Clone(sk)).(K)
	}
	var i int32
	if len(s.entries) < s.capacity {
		i = int32(len(s.entries))
		s.entries = append(s.entries, keyedLRUEntry[K, V]{key: key, val: val, prev: -1, next: -1})
	} else {
		i = s.tail
		s.unlink(i)
		delete(s.index, s.entries[i].key)
		s.entries[i] = keyedLRUEntry[K, V]{key: key, val: val, prev: -1, next: -1}
	}
	s.index[key] = i
	s.pushFront(i)
}

// len returns the number of cached entries.
func (c *keyedLRU[K, V]) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}

func (s *keyedLRUShard[K, V]) unlink(i int32) {
	e := &s.entries[i]
	if e.prev >= 0 {
		s.entries[e.prev].next = e.next
	} else {
		s.head = e.next
	}
	if e.next >= 0 {
		s.entries[e.next].prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

func (s *keyedLRUShard[K, V]) pushFront(i int32) {
	e := &s.entries[i]
	e.prev, e.next = -1, s.head
	if s.head >= 0 {
		s.entries[s.head].prev = i
	}
	s.head = i
	if s.tail < 0 {
		s.tail = i
	}
}

func (s *keyedLRUShard[K, V]) moveToFront(i int32) {
	if s.head == i {
		return
	}
	s.unlink(i)
	s.pushFront(i)
}
