package testservers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Missing reports a missing prerequisite: it skips the test, or fails it
// when the CI environment variable is "true" (CI must have everything).
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s", msg)
	}
	t.Skipf("skipping: %s (run .ci/run, or see TESTING notes in README)", msg)
}

// ToolsDir is where .ci/run installs test binaries:
// $FURROW_TOOLS_DIR, else $HOME/.cache/furrow-tools.
func ToolsDir() string {
	if d := os.Getenv("FURROW_TOOLS_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "furrow-tools")
	}
	return filepath.Join(home, ".cache", "furrow-tools")
}

// FindBinary looks for name in ToolsDir()/bin, then on PATH; "" if absent.
func FindBinary(name string) string {
	p := filepath.Join(ToolsDir(), "bin", name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// RepoRoot returns the root of the furrow checkout (the folder with go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository root")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir returns ../shared beside the checkout, or skips the test with a
// clear message when it is absent (a user who cloned only the project).
func SharedDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(RepoRoot(t), "..", "shared")
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Skipf("skipping: %s is absent (the peer fixtures live beside the checkout in CI)", d)
	}
	return d
}

// SharedPath returns the path of elem below ../shared, or skips the test
// with a clear message when it is absent (a partial mirror of the shared
// data, or no ../shared at all).
func SharedPath(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{SharedDir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: %s is not available: %v", p, err)
	}
	return p
}

// ReadJSON decodes the JSON file at path into v, failing the test on an
// unreadable or malformed file.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
}

// ReadJSONFiles decodes every file matching the glob pattern into a T,
// keyed by the file's base name. It skips the test when nothing matches
// and fails it on a file that does not decode.
func ReadJSONFiles[T any](t testing.TB, pattern string) map[string]*T {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Skipf("skipping: no files match %s (%v)", pattern, err)
	}
	out := make(map[string]*T, len(files))
	for _, f := range files {
		v := new(T)
		ReadJSON(t, f, v)
		out[filepath.Base(f)] = v
	}
	return out
}

// startForTest starts a server with start for a test and closes it in
// t.Cleanup: an error wrapping missing skips the test with the hint (fails
// it when CI=true), any other error fails it.
func startForTest[S interface{ Close() }](t testing.TB, name string, start func() (S, error), missing error, hint string) S {
	t.Helper()
	s, err := start()
	if errors.Is(err, missing) {
		Missing(t, "%s", hint)
	}
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(s.Close)
	return s
}

// WaitHTTP polls url until it answers with status want or the timeout passes.
func WaitHTTP(url string, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	var last error
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("waiting for %s: %v", url, last)
}

// WaitTCP polls addr until it accepts a connection or the timeout passes.
func WaitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		time.Sleep(30 * time.Millisecond)
	}
	return fmt.Errorf("waiting for %s: %v", addr, last)
}

// StartProcess starts cmd, stopping it (SIGKILL, then wait) in t.Cleanup. Its
// output goes to a log file in a temp dir whose path is returned.
func StartProcess(t testing.TB, cmd *exec.Cmd) string {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), filepath.Base(cmd.Path)+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("creating log for %s: %v", cmd.Path, err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
	})
	return logPath
}

// waitSQL opens a database and pings it every 50 ms until it answers or
// timeout passes; a receive from exited (nil: never) means the server
// process ended during start-up.
func waitSQL(timeout time.Duration, exited <-chan struct{}, open func() (*sql.DB, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("server exited during start-up")
		default:
		}
		db, err := open()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s: %w", timeout, last)
}

// logTail returns the last 2000 bytes of a server's log file (empty when
// it cannot be read).
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
