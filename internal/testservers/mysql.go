package testservers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrMySQLMissing reports that no MySQL-compatible server was found
// (install one with .ci/install-mariadb.sh).
var ErrMySQLMissing = errors.New("testservers: no MariaDB/MySQL server (mariadbd or mysqld with mariadb-install-db or mysql_install_db) found on PATH or in /usr/sbin, /usr/bin")

// MySQL is a private MariaDB (or MySQL) server: a fresh data folder in a
// temporary directory, listening on 127.0.0.1 with a free port and on a
// Unix socket in that folder; root has no password and is reachable only
// through the socket. As root, the server runs as the "mysql" system user.
type MySQL struct {
	Host string // "127.0.0.1"
	Port int

	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func findMySQLBins() (server, install string, err error) {
	look := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
			for _, d := range []string{"/usr/sbin", "/usr/bin"} {
				if p := filepath.Join(d, n); isExec(p) {
					return p
				}
			}
		}
		return ""
	}
	server, install = look("mariadbd", "mysqld"), look("mariadb-install-db", "mysql_install_db")
	if server == "" || install == "" {
		return "", "", ErrMySQLMissing
	}
	return server, install, nil
}

// NewMySQL initializes and starts a private server; the caller must Close
// it. It returns ErrMySQLMissing when no server is installed.
func NewMySQL() (*MySQL, error) {
	server, install, err := findMySQLBins()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "furrow-mysql-")
	if err != nil {
		return nil, err
	}
	m := &MySQL{Host: "127.0.0.1", dir: dir}
	var userArgs []string
	if os.Geteuid() == 0 {
		userArgs = []string{"--user=mysql"}
		if err := os.Chmod(dir, 0o777); err != nil {
			m.Close()
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	args := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}, userArgs...)
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %v: %s", filepath.Base(install), err, out)
	}
	port, err := freePort()
	if err != nil {
		m.Close()
		return nil, err
	}
	m.Port = port
	args = append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + m.socket(), "--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1", "--pid-file=" + filepath.Join(dir, "server.pid"), "--skip-log-bin", "--skip-name-resolve",
		"--innodb-buffer-pool-size=16M", "--log-error=" + filepath.Join(dir, "server.log"), "--default-time-zone=+00:00"}, userArgs...)
	m.cmd = exec.Command(server, args...)
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		m.Close()
		return nil, err
	}
	m.done = make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	if err := m.waitReady(60 * time.Second); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// StartMySQL starts a private server for a test and stops it in t.Cleanup;
// a missing installation skips the test (fails it when CI=true).
func StartMySQL(t testing.TB) *MySQL {
	t.Helper()
	return startForTest(t, "MariaDB/MySQL", NewMySQL, ErrMySQLMissing, "MariaDB/MySQL is not installed (bash .ci/install-mariadb.sh)")
}

func (m *MySQL) socket() string { return filepath.Join(m.dir, "mysql.sock") }

func (m *MySQL) rootDB() (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", m.socket()
	cfg.Timeout = time.Second
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

func (m *MySQL) waitReady(timeout time.Duration) error {
	if err := waitSQL(timeout, m.done, m.rootDB); err != nil {
		return fmt.Errorf("MariaDB/MySQL on port %d: %w\n%s", m.Port, err, m.serverLog())
	}
	return nil
}

func (m *MySQL) serverLog() string { return logTail(filepath.Join(m.dir, "server.log")) }

// Exec runs statements as root (over the Unix socket).
func (m *MySQL) Exec(ctx context.Context, stmts ...string) error {
	db, err := m.rootDB()
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("executing %q: %w", s, err)
		}
	}
	return nil
}

// Close stops the server it started (SIGTERM, then SIGKILL after 20 s) and
// removes its folder.
func (m *MySQL) Close() {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(20 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.done
		}
		m.cmd = nil
	}
	if m.dir != "" {
		_ = os.RemoveAll(m.dir)
		m.dir = ""
	}
}
