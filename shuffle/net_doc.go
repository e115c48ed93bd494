// DESIGN of the network shuffle, the data plane of a clustered run. (This is
// a file comment, not package documentation: doc.go owns the package
// comment.) Files: net_frame.go (frames and payloads), net_server.go and
// net_store.go (the receiving Server), net_peers.go (the mapper side's
// connections), net_exchange.go (NetExchange, the mapper side's Exchange).
//
// # Roles
//
// Every worker process runs one Server. A map task attempt on any worker
// opens a MapOutput of its job's NetExchange; the output pushes encoded
// blocks (EncodeBlock: S2 + CRC-32C, sent as they are: nothing is
// compressed twice) to the Server that owns each partition, over one
// multiplexed connection per peer pair held by Peers and shared by every
// concurrent map output and job of the process. Commit returns once every
// owner stored and sealed the attempt. The scheduler records the committed
// attempt of each task (the winners) and, after the map stage, the reduce
// task of partition p runs on p's owner and reads with
//
//	srv.ReadPartition(ctx, jobID, p, winners, fn)
//
// which yields the winners' records of p in ascending task order, then
// record order: exactly what Local.ReadPartition yields for the same
// committed attempts, so a one-node and an N-node run agree byte for byte.
// NetExchange.ReadPartition returns ErrMapSideRead. When the job ends the
// scheduler calls DropJob on every Server.
//
// # Transport
//
// The shuffle runs on whatever connections it is given: PeersConfig.Dial
// and the listener passed to Serve. In production they are
// transport.MTLS's Dial and Listen (mutual TLS 1.2, AES-256-GCM, from the
// EMR PEM bundle; see TestNetOverTransport); tests also use plain TCP.
//
// # Exactly once
//
// A Server accepts a (job, task, attempt) once: a second OPEN of it is
// refused. A stream's blocks become readable only when its COMMIT arrives
// and matches the blocks and records received for every partition; a
// connection lost before that drops the partial attempt. The Server keeps
// every sealed attempt: which attempt of a task counts is the scheduler's
// decision (winners), not the arrival order, so speculative or retried
// attempts never duplicate nor lose output. ReadPartition frees the other
// attempts of the winners' tasks; DropJob frees everything. A winner whose
// output is not sealed here is an error wrapping ErrMissingOutput, never an
// empty partition: every attempt commits to every owner, with zero counts
// where it had no records.
//
// # Frame format (all integers little endian)
//
//	offset size
//	0      2    magic "fs"
//	2      1    type (HELLO 1, HELLO_ACK 2, OPEN 3, DATA 4, COMMIT 5, ABORT 6,
//	            CREDIT 7, COMMITTED 8, RESET 9, PING 10, PONG 11, ERROR 12)
//	3      1    flags, 0 (reserved)
//	4      4    stream id (0: the connection itself)
//	8      4    payload length n (DATA ≤ MaxFrame+4, others ≤ 1 MiB,
//	            before the handshake ≤ 64)
//	12     4    CRC-32C (Castagnoli) of bytes 0..11 followed by the payload
//	16     n    payload
//
// Payloads: HELLO version u16 | flags u16 | keep-alive ms u32. HELLO_ACK
// version u16 | flags u16 | window u32 | max frame u32 | max streams u32.
// OPEN and ABORT task u32 | attempt u32 | partitions u32 | job length u16 |
// job. DATA partition u32 | encoded block. COMMIT count u32 | count ×
// (partition u32 | blocks u32 | records u64), ascending partitions.
// CREDIT bytes u32. RESET and ERROR a UTF-8 message (≤ 4 KiB). PING and
// PONG 8 opaque bytes. COMMITTED empty.
//
// A frame whose magic, flags, type, length or checksum is wrong is
// ErrCorruptFrame: the receiver sends ERROR and closes the connection (its
// unsealed attempts are dropped, the mapper's Commit fails). Blocks keep
// their own CRC-32C, checked again when read (also after a spill file).
//
// # State machine
//
// Connection (client = mapper, server = receiver):
//
//	client                          server
//	dial (TLS) ── HELLO ──────────► version ≠ 1, garbage or timeout: ERROR, close
//	           ◄──────── HELLO_ACK  (window, max frame, max streams)
//	open ──────────────────────────────────────────────────── streams ...
//	PING every KeepAlive ─────────► PONG      silence for IdleTimeout (client)
//	                                          or 3 × keep-alive (server): close
//	any I/O error, ERROR frame, corrupt frame, protocol violation: closed
//
// Stream (one map attempt to one owner; ids chosen by the client,
// ascending):
//
//	OPEN ──► open ── DATA* ──► open ── COMMIT ──► (counts match) sealed ── COMMITTED
//	           │                 │               (mismatch)      dropped ── RESET
//	           │                 └── ABORT ──► dropped
//	           └── refused (duplicate attempt, dropped job, partition count
//	               differs, spill failure) ── RESET; later frames ignored until
//	               the client's COMMIT or ABORT ends the stream
//	connection lost while open: dropped. ABORT after COMMIT: the sealed attempt
//	is withdrawn (the mapper's Commit failed on another owner).
//
// # Backpressure and bounds
//
// Credit is per connection, in DATA payload bytes: a client may have at
// most Window bytes sent and not yet stored by the server (a single larger
// frame may go when nothing is outstanding). The server's reader decodes
// and checks frames and queues them for a store goroutine that applies them
// in order: it keeps a block in memory while the server's MemoryBudget
// allows, else appends it to the attempt's spill file, then grants the
// bytes back with CREDIT frames (coalesced). A slow store (disk) therefore
// slows the mappers' Add, and memory stays bounded on both sides: the
// server holds ≤ Window unstored bytes per connection (ServerStats.PendingHigh),
// the mapper ≤ Window queued bytes per peer plus one raw block buffer per
// partition. Control frames queued on a connection are bounded too (64 MiB,
// with at most MaxStreams live streams). A client exceeding its credit or
// these bounds is a protocol violation. Every wait (credit, queueing, COMMITTED, dial) selects on the
// caller's context and on the connection's end; writes have WriteTimeout
// deadlines; reads have keep-alive deadlines, so a dead or silent peer fails
// the attempts in flight with a *PeerError naming it instead of hanging.
//
// # Benchmark
//
// Shuffle throughput between two processes (the test binary re-executed as
// the receiver) over plain TCP and mutual TLS 1.2 (ECDHE-ECDSA-AES-256-GCM)
// on the same ~1 KB enriched-TSV records, in one run:
//
//	go test ./shuffle -run '^$' -bench NetShuffleProcesses -benchtime 20x -count 3
//
// It reports plain-MB/s, mtls-MB/s, plain-rec/s, mtls-rec/s,
// mtls-overhead-%, and wire bytes per record for both.

package shuffle
