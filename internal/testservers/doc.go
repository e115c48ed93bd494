// Package testservers starts the real servers furrow's tests run against
// (MinIO, dynalite, PostgreSQL, …) on 127.0.0.1 with free ports, waits for
// readiness by polling and stops them in t.Cleanup. A missing server binary
// skips the test with a clear message, or fails it when CI=true.
//
// Each server has its own file; common.go holds the shared plumbing,
// including what every test uses to find the checkout (RepoRoot), the
// peer data beside it (SharedDir, SharedPath) and to read a JSON fixture
// (ReadJSON).
package testservers
