package testservers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Dynalite starts a dynalite (DynamoDB-compatible, in-memory) server on
// 127.0.0.1 with a free port and returns its endpoint URL
// ("http://127.0.0.1:PORT"). The server is stopped in t.Cleanup.
//
// It needs node on PATH and node_modules/dynalite/cli.js under the repository
// root (`npm ci` there, as .ci/run does). When either is missing the test is
// skipped, or failed when CI=true. Tables become ACTIVE immediately
// (--createTableMs 0). Any access key, secret and region are accepted.
func Dynalite(t testing.TB) string {
	t.Helper()
	node := FindBinary("node")
	if node == "" {
		Missing(t, "node is not installed (dynalite needs Node.js)")
	}
	cli := filepath.Join(RepoRoot(t), "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		Missing(t, "%s is absent (run `npm ci` at the repository root)", cli)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := FreePort(t)
		cmd := exec.Command(node, cli,
			"--host", "127.0.0.1",
			"--port", strconv.Itoa(port),
			"--createTableMs", "0",
			"--deleteTableMs", "0",
			"--updateTableMs", "0")
		logPath := StartProcess(t, cmd)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if err := WaitTCP(addr, 15*time.Second); err != nil {
			log, _ := os.ReadFile(logPath)
			lastErr = fmt.Errorf("%v; dynalite log:\n%s", err, log)
			_ = cmd.Process.Kill()
			continue
		}
		return "http://" + addr
	}
	t.Fatalf("starting dynalite: %v", lastErr)
	return ""
}
