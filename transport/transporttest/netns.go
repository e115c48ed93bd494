package transporttest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/furrowdata/furrow/internal/testservers"
)

// Namespaces makes n network namespaces, each linked by a veth pair to a
// bridge in a hub namespace, and gives namespace i the address
// subnet.(i+1)/24 (subnet is three octets, e.g. "10.77.0") on its veth with
// its loopback up. It returns the namespace names, for `ip netns exec`;
// everything is deleted in t.Cleanup. It skips the test under -short,
// without root, or where namespaces cannot be made, and reports a missing
// iproute2 through testservers.Missing (a failure under CI).
func Namespaces(t testing.TB, subnet string, n int) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the network-namespace test")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (ip netns add); this optional test is skipped")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		testservers.Missing(t, "iproute2 (ip) is not installed")
	}
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	var sfx [3]byte
	rand.Read(sfx[:])
	id := hex.EncodeToString(sfx[:])
	hub := "fns" + id + "hub"
	if err := run("netns", "add", hub); err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	t.Cleanup(func() { run("netns", "del", hub) })
	must := func(args ...string) {
		t.Helper()
		if err := run(args...); err != nil {
			t.Fatal(err)
		}
	}
	must("-n", hub, "link", "add", "br0", "type", "bridge")
	must("-n", hub, "link", "set", "br0", "up")
	ns := make([]string, n)
	for i := range ns {
		// Interface names stay under the kernel's 15 bytes.
		name, inner, outer := fmt.Sprintf("fns%sn%d", id, i+1), fmt.Sprintf("v%sn%d", id, i+1), fmt.Sprintf("v%sh%d", id, i+1)
		must("netns", "add", name)
		t.Cleanup(func() { run("netns", "del", name) })
		must("link", "add", inner, "type", "veth", "peer", "name", outer)
		must("link", "set", inner, "netns", name)
		must("link", "set", outer, "netns", hub)
		must("-n", hub, "link", "set", outer, "master", "br0")
		must("-n", hub, "link", "set", outer, "up")
		must("-n", name, "addr", "add", fmt.Sprintf("%s.%d/24", subnet, i+1), "dev", inner)
		must("-n", name, "link", "set", inner, "up")
		must("-n", name, "link", "set", "lo", "up")
		ns[i] = name
	}
	return ns
}
