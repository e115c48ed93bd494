package transport_test

import (
	"strings"
	"testing"

	"github.com/furrowdata/furrow/transport"
)

func TestNodeMetaRoundTrip(t *testing.T) {
	m := transport.NodeMeta{
		Role:         transport.RoleWorker,
		ShuffleAddr:  "ip-10-0-12-34.eu-west-1.compute.internal:7447",
		Cores:        96,
		MemoryBudget: 700 << 30,
		Instance:     "0123456789abcdef",
	}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > transport.MetaMaxSize {
		t.Fatalf("%d bytes", len(b))
	}
	got, err := transport.DecodeNodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	m.Version = 1
	if got != m {
		t.Errorf("round trip: %+v, want %+v", got, m)
	}
	t.Logf("metadata: %s (%d bytes)", b, len(b))
}

func TestNodeMetaErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		meta transport.NodeMeta
		want string
	}{
		{"unknown role", transport.NodeMeta{Role: "boss"}, "meta.role"},
		{"worker without shuffle address", transport.NodeMeta{Role: transport.RoleWorker, Cores: 1}, "meta.shuffle_addr: required"},
		{"worker without cores", transport.NodeMeta{Role: transport.RoleWorker, ShuffleAddr: "h:1"}, "meta.cores"},
		{"bad shuffle port", transport.NodeMeta{Role: transport.RoleWorker, ShuffleAddr: "h:0", Cores: 1}, "port must be"},
		{"shuffle address without port", transport.NodeMeta{Role: transport.RoleWorker, ShuffleAddr: "h", Cores: 1}, "missing port"},
		{"negative memory", transport.NodeMeta{Role: transport.RoleCoordinator, MemoryBudget: -1}, "meta.memory_budget"},
		{"too long", transport.NodeMeta{Role: transport.RoleWorker, Cores: 1, ShuffleAddr: strings.Repeat("a", 600) + ":1"}, "over memberlist's limit of 512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.meta.Encode()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Encode error %v, want %q", err, tc.want)
			}
		})
	}
	for in, want := range map[string]string{
		"":                   "empty",
		"{":                  "decoding node metadata",
		`{"role":"worker"}`:  "version 0",
		`{"role":"x","v":1}`: "meta.role",
		`{"role":"coordinator","v":2,"future":true}`: "",
	} {
		_, err := transport.DecodeNodeMeta([]byte(in))
		if want == "" {
			if err != nil {
				t.Errorf("DecodeNodeMeta(%q): %v", in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeNodeMeta(%q) error %v, want %q", in, err, want)
		}
	}
}

func FuzzDecodeNodeMeta(f *testing.F) {
	f.Add([]byte(`{"role":"worker","shuffle":"10.0.0.1:7447","cores":4,"mem":1073741824,"inst":"ab","v":1}`))
	f.Add([]byte(`{"role":"coordinator","v":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := transport.DecodeNodeMeta(b)
		if err != nil {
			return
		}
		// What decodes re-encodes.
		if _, err := m.Encode(); err != nil {
			t.Fatalf("decoded %+v does not re-encode: %v", m, err)
		}
	})
}
