package bootstrap

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
)

var (
	buildOnce sync.Once
	buildDir  string
	builtBin  string
	buildErr  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// wiring is the commands-table change cmd/furrow/main.go needs for the
// commands this package's script uses (emr, validate, cp). Until the lead
// applies it, the test binary is built with it through `go build -overlay`;
// afterwards the overlay is not used.
var wiring = []struct{ old, new string }{
	{`notBuilt("emr", 7)}`, `runEMR}`},
	{`{"validate", "check a furrow.yml configuration", notBuilt("validate", 7)},`,
		`{"validate", "check a furrow.yml configuration", runValidate},` + "\n\t" +
			`{"cp", "copy objects between locations (s3://, hdfs://, file://, paths)", runCp},`},
}

// furrowBinary builds ./cmd/furrow once per test process and returns it.
func furrowBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root := testservers.RepoRoot(t)
		dir, err := os.MkdirTemp("", "furrow-bootstrap-test-")
		if err != nil {
			buildErr = err.Error()
			return
		}
		buildDir = dir
		out := filepath.Join(dir, "furrow")
		args := []string{"build", "-o", out}
		mainGo := filepath.Join(root, "cmd", "furrow", "main.go")
		src, err := os.ReadFile(mainGo)
		if err != nil {
			buildErr = err.Error()
			return
		}
		if !bytes.Contains(src, []byte("runCp")) {
			for _, w := range wiring {
				if !bytes.Contains(src, []byte(w.old)) {
					buildErr = "cmd/furrow/main.go has neither the cp command nor the expected notBuilt lines: update bootstrap/build_test.go"
					return
				}
				src = bytes.Replace(src, []byte(w.old), []byte(w.new), 1)
			}
			patched := filepath.Join(dir, "main.go")
			overlay := filepath.Join(dir, "overlay.json")
			doc, _ := json.Marshal(map[string]any{"Replace": map[string]string{mainGo: patched}})
			if err := os.WriteFile(patched, src, 0o644); err != nil {
				buildErr = err.Error()
				return
			}
			if err := os.WriteFile(overlay, doc, 0o644); err != nil {
				buildErr = err.Error()
				return
			}
			args = append(args, "-overlay", overlay)
		}
		cmd := exec.Command("go", append(args, "./cmd/furrow")...)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = "go build ./cmd/furrow: " + err.Error() + "\n" + string(b)
			return
		}
		builtBin = out
	})
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	return builtBin
}
