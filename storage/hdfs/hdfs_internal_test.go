package hdfs

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2/hadoopconf"
)

func TestNamenodes(t *testing.T) {
	ha, err := hadoopconf.Load("testdata/conf-ha")
	if err != nil || ha == nil {
		t.Fatalf("loading testdata/conf-ha: %v", err)
	}
	for _, c := range []struct {
		host string
		conf hadoopconf.HadoopConf
		want string // comma-joined, or "error: substring"
	}{
		{"nn.example:9000", nil, "nn.example:9000"},
		{"nn.example", nil, "nn.example:8020"},
		{"10.0.0.5", nil, "10.0.0.5:8020"},
		{"[::1]:8020", nil, "[::1]:8020"},
		{"furrowns", ha, "nn1.example.internal:8020,nn2.example.internal:8020"},
		{"", ha, "nn1.example.internal:8020,nn2.example.internal:8020"},
		{"other", ha, "other:8020"},
		{"", nil, "error: no namenode"},
		{"broken", hadoopconf.HadoopConf{"dfs.ha.namenodes.broken": "a"}, "error: dfs.namenode.rpc-address.broken.a"},
	} {
		got, err := namenodes(c.host, c.conf)
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("namenodes(%q) = %v, %v; want %s", c.host, got, err, c.want)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("namenodes(%q) = %v, %v; want %s", c.host, got, err, c.want)
		}
	}
}

func TestPaths(t *testing.T) {
	s := &Store{namenode: "nn:8020", root: cleanRoot("data/enriched/")}
	if s.root != "/data/enriched" {
		t.Fatalf("root = %q", s.root)
	}
	for key, want := range map[string]string{
		"a.tsv":          "/data/enriched/a.tsv",
		"run=1/part-0":   "/data/enriched/run=1/part-0",
		"x/../y":         "/data/enriched/y",
		"../escape":      "error",
		"../enriched2/x": "error",
		"":               "error",
	} {
		got, err := s.path(key)
		if want == "error" {
			if err == nil {
				t.Errorf("path(%q) = %q, want an error", key, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("path(%q) = %q, %v; want %q", key, got, err, want)
		}
		if rel := s.rel(got); rel != strings.TrimPrefix(want, "/data/enriched/") {
			t.Errorf("rel(%q) = %q", got, rel)
		}
	}
	if u := s.URL("a/b"); u != "hdfs://nn:8020/data/enriched/a/b" {
		t.Errorf("URL = %q", u)
	}
	rootStore := &Store{root: cleanRoot("/")}
	if p, err := rootStore.path("x/y"); err != nil || p != "/x/y" {
		t.Errorf("root store path = %q, %v", p, err)
	}
	if u := rootStore.URL("x"); u != "hdfs:///x" {
		t.Errorf("root store URL = %q", u)
	}
	tmp := tmpName("/data/enriched/part-0")
	if dir, base := filepath.Split(tmp); dir != "/data/enriched/" || !strings.HasPrefix(base, tmpPrefix+"part-0-") {
		t.Errorf("tmpName = %q", tmp)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if err := (Config{DialTimeout: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "hdfs.dial_timeout") {
		t.Errorf("negative timeout: %v", err)
	}
	if err := (Config{ConfDir: "/nonexistent/furrow"}).Validate(); err == nil || !strings.Contains(err.Error(), "hdfs.conf_dir") {
		t.Errorf("missing conf dir: %v", err)
	}
}

func TestKerberosNotImplemented(t *testing.T) {
	_, err := New(context.Background(), "", "/x", Config{ConfDir: "testdata/conf-kerberos", User: "furrow"})
	if err == nil || !strings.Contains(err.Error(), "not implemented") || !strings.Contains(err.Error(), "Kerberos") {
		t.Fatalf("kerberos conf: err = %v", err)
	}
}

func TestNoNamenodeAnywhere(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("HADOOP_HOME", "")
	_, err := New(context.Background(), "", "/x", Config{User: "furrow"})
	if err == nil || !strings.Contains(err.Error(), "HADOOP_CONF_DIR") {
		t.Fatalf("err = %v", err)
	}
}

func TestConnectionRefusedNamesNamenode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = New(context.Background(), addr, "/x", Config{User: "furrow", DialTimeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "hdfs://"+addr+"/x") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v", err)
	}
}

// TestSpeaksHadoopRPC checks the client gets as far as the Hadoop RPC
// handshake against a real socket: the connection header starts with
// "hrpc", version 9. The test does not emulate a namenode; it closes the
// connection, and New must fail with an error naming the location.
func TestSpeaksHadoopRPC(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, 7)
		_, _ = io.ReadFull(c, b)
		got <- b
	}()
	_, err = New(context.Background(), l.Addr().String(), "/data", Config{User: "furrow", DialTimeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "hdfs://"+l.Addr().String()+"/data") {
		t.Fatalf("New against a closing peer: err = %v", err)
	}
	b := <-got
	if len(b) < 5 || string(b[:4]) != "hrpc" || b[4] != 9 {
		t.Fatalf("connection header = %q, want \"hrpc\" version 9", b)
	}
}

func TestHadoopUser(t *testing.T) {
	if u, _ := hdfsUser("alice"); u != "alice" {
		t.Errorf("configured user = %q", u)
	}
	t.Setenv("HADOOP_USER_NAME", "hadoop")
	if u, _ := hdfsUser(""); u != "hadoop" {
		t.Errorf("HADOOP_USER_NAME user = %q", u)
	}
	os.Unsetenv("HADOOP_USER_NAME")
	if u, err := hdfsUser(""); err != nil || u == "" {
		t.Errorf("OS user = %q, %v", u, err)
	}
}
