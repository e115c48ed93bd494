package shuffle

// Partition maps an event id to one of n partitions with 64-bit FNV-1a.
// The function is fixed (not seeded per process), so every node of a
// cluster and every re-run agree on where an event goes. n must be ≥ 1.
func Partition(eventID []byte, n int) int {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for _, c := range eventID {
		h ^= uint64(c)
		h *= prime
	}
	return int(h % uint64(n))
}
