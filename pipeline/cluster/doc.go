// Package cluster runs furrow jobs on a cluster: the worker daemon
// (`furrow worker`, StartWorker/RunWorker) and the coordinator that
// `furrow run --cluster` runs (RunCoordinator). A clustered run executes the
// very stages of a local run — pipeline.Job's MapTask and ReduceTask — with
// the network shuffle (shuffle.NetExchange and shuffle.Server) instead of
// the in-process one, so a 1-node and an N-node run write the same bytes.
//
// # Ports
//
// A worker has one mutual-TLS port (--listen, default 7447) and its gossip
// port (--gossip, default 7946; memberlist over mutual TLS, see package
// transport). There is no plaintext port, except the optional --metrics
// port, which serves only Prometheus' /metrics (the same metrics are on the
// worker port, over mutual TLS). The worker port carries two protocols:
// after the TLS handshake (the peer's certificate verified against the
// bundle's trusted certificates and the peer name rule) the first two bytes
// the client sends decide: the shuffle frame magic "fs" goes to the shuffle
// Server, an HTTP method to the control API (HTTP/1.1, JSON), anything else
// is closed. Both clients speak first, so the switch costs no round trip,
// and any node that holds the bundle may use both: the coordinator and the
// workers share it, as on EMR.
//
// # Control API (coordinator → worker)
//
//	GET    /v1/status            the worker, its jobs and its view of the members
//	GET    /metrics              Prometheus metrics
//	PUT    /v1/jobs/{id}         prepare the job from a JobSpec (idempotent, cached by id)
//	POST   /v1/jobs/{id}/map     run one map attempt: task, attempt, split, partition owners
//	POST   /v1/jobs/{id}/reduce  run the reduce task of a partition: partition, winners
//	DELETE /v1/jobs/{id}         forget the job: cancel its tasks, free its shuffle data
//
// A task request returns when the task ends, with its counters (and, for a
// reduce, its outputs in a wire form) or a typed error (task, permanent,
// peer, missing_output); a request that cannot run returns an HTTP error
// (unknown_job 404, draining 503, prepare 422, bad_request 400). A map
// attempt pushes its records to the partition owners' shuffle Servers and
// commits there before it replies; a reduce reads its partition from the
// local Server with the job's winning attempts.
//
// # Scheduling
//
// The coordinator prepares and plans the job itself (the plan is
// deterministic), resolves the etl timestamp and the number of partitions,
// and ships them in the JobSpec with the local configuration files inline.
// It joins the cluster as a coordinator member, waits for --min-workers
// workers, and assigns partitions to the live workers by rendezvous hashing
// over their member names. Map tasks go to any worker with a free slot (a
// worker has as many slots as its gossiped cores), the least loaded first;
// after the map stage every partition's reduce runs on its owner. Counters
// of a task are kept only from its committed attempt: a map task's winner,
// a partition's successful reduce.
//
// # Failures
//
//   - A task that fails is retried on another worker (reduce: on its owner),
//     up to --max-attempts failures; a permanent error (corrupt input) fails
//     the job at once.
//   - A worker is lost when memberlist reports it failed or leaving, when its
//     control API cannot be reached, when it drains, or when a map attempt
//     failed on it as a shuffle peer and its control API does not answer.
//     Work running there is cancelled and re-queued, without counting as a
//     task failure.
//   - If the lost worker owned partitions whose reduce is not done, its
//     shuffle data is gone: the job is re-planned. Tasks in flight are
//     cancelled and awaited, partitions are reassigned among the survivors,
//     and the whole map stage runs again with new attempt numbers (the
//     shuffle accepts each attempt once; map outputs are deterministic, so a
//     re-run is identical); partitions already reduced stay done. After
//     --max-replans re-plans the job fails with an error naming the lost
//     workers.
//   - The job commits only when every partition's reduce succeeded:
//     pipeline.Job.Finish writes the run report, then the commit markers,
//     _SUCCESS last. A failed job writes its report and never _SUCCESS.
//   - A worker drops the jobs of a coordinator that left or failed.
//
// # Shared storage
//
// Inputs, outputs and bad rows are read and written by the workers
// directly: they must be shared locations (s3://, hdfs://, or a path every
// node sees at the same place, e.g. NFS). Relative paths are made absolute
// on the coordinator. --iglu-config, --duplicate-storage-config and
// --enrichments are shipped inline, but what they point to (Iglu
// filesystem registries, enrichment assets such as MaxMind databases) must
// be reachable from every node.
//
// # Shutdown
//
// SIGTERM makes a worker drain: new tasks are refused (the coordinator
// moves work elsewhere), running tasks get --drain-timeout to finish, then
// the worker leaves the cluster gracefully and stops its parts in reverse
// order of start, each wait bounded.
package cluster
