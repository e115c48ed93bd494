// Package shuffle owns the movement of records from map tasks to reduce
// tasks: the partitioner (hash of event_id), the Exchange interface, the
// record-block encoding shared by every exchange, and the in-process
// exchange used by single-node runs. The network exchange (a later package
// file set) implements the same interface, so a one-node run and an N-node
// run execute the same stages.
//
// # Design
//
// A record is an opaque byte slice (furrow sends enriched TSV lines). A map
// task attempt opens a MapOutput, adds records to partitions and commits.
// Records are grouped per partition into blocks: a sequence of
// uvarint-length-prefixed records, compressed with S2 and checksummed with
// CRC-32C. A committed attempt replaces any earlier attempt of the same task,
// so a retried map task never duplicates its output: a partition's input is
// exactly one committed attempt per map task.
//
// Reduce tasks run after every map task committed (a stage barrier) and read
// their partition's blocks in map-task order, then record order. That order
// does not depend on scheduling, so the reduce output is deterministic.
//
// The in-process exchange keeps committed blocks in memory up to its budget
// and spills further blocks to files in its spill folder; reading is the same
// either way.
//
// The network exchange (NetExchange on mappers, Server on reducers, Peers
// for the multiplexed connections) carries the same blocks between
// processes; its wire protocol, credit-based backpressure and state machine
// are described in net_doc.go.
package shuffle
