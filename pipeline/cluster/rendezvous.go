package cluster

import (
	"hash/fnv"
	"strconv"
)

// assignPartitions gives each of n partitions an owner among members (their
// ids) by rendezvous (highest random weight) hashing: partition p goes to
// the member with the highest hash of (member, p). The result depends only
// on the set of members, not on their order, and removing a member moves
// only the partitions it owned. It returns, per partition, an index into
// members; members must not be empty.
func assignPartitions(members []string, n int) []int {
	owner := make([]int, n)
	seeds := make([]uint64, len(members))
	for i, m := range members {
		h := fnv.New64a()
		h.Write([]byte(m))
		seeds[i] = h.Sum64()
	}
	for p := 0; p < n; p++ {
		best, bestScore := -1, uint64(0)
		for i := range members {
			s := mix64(seeds[i] ^ mix64(uint64(p)+0x9e3779b97f4a7c15))
			if best < 0 || s > bestScore || (s == bestScore && members[i] < members[best]) {
				best, bestScore = i, s
			}
		}
		owner[p] = best
	}
	return owner
}

// mix64 is SplitMix64's finaliser: a bijective avalanche of x.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// partitionList renders partitions compactly for logs.
func partitionList(ps []int) string {
	b := make([]byte, 0, 4*len(ps))
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(p), 10)
	}
	return string(b)
}
