package testservers

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// ErrPostgresMissing reports that no PostgreSQL server binaries were found
// (install them with .ci/install-postgresql.sh).
var ErrPostgresMissing = errors.New("testservers: PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH")

// Postgres is a private PostgreSQL cluster: initdb'd into a temporary
// folder, listening on 127.0.0.1 with a free port (and a Unix socket in the
// same folder), password authentication over TCP. When the caller is root
// the cluster runs as the "postgres" system user (else "nobody"), because
// PostgreSQL refuses to run as root.
type Postgres struct {
	Host string // "127.0.0.1"
	Port int
	// Superuser and SuperPassword are the cluster's bootstrap superuser.
	Superuser, SuperPassword string

	dir  string
	bin  string
	cred *syscall.Credential
}

// findPostgresBin returns the newest /usr/lib/postgresql/N/bin that has
// initdb and pg_ctl, else the folder of initdb on PATH.
func findPostgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && isExec(filepath.Join(filepath.Dir(p), "pg_ctl")) {
		return filepath.Dir(p), nil
	}
	return "", ErrPostgresMissing
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// serverCredential returns the unprivileged user to run PostgreSQL as when
// the caller is root (nil otherwise).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("testservers: running as root and neither the postgres nor the nobody user exists")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// NewPostgres initdb's and starts a private cluster; the caller must Close
// it. It returns ErrPostgresMissing when the server is not installed. It is
// the entry point for non-test callers (the conformance harness); tests
// use StartPostgres.
func NewPostgres() (*Postgres, error) {
	bin, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "furrow-pg-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{Host: "127.0.0.1", Superuser: "furrow", SuperPassword: randomHex(12), dir: dir, bin: bin, cred: cred}
	if err := p.start(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// StartPostgres starts a private cluster for a test and stops it in
// t.Cleanup; a missing installation skips the test (fails it when CI=true).
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	return startForTest(t, "PostgreSQL", NewPostgres, ErrPostgresMissing, "PostgreSQL is not installed (bash .ci/install-postgresql.sh)")
}

func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

func (p *Postgres) start() error {
	if p.cred != nil {
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(p.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(p.SuperPassword+"\n"), 0o600); err != nil {
		return err
	}
	if p.cred != nil {
		if err := os.Chown(pwfile, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			return err
		}
	}
	data := filepath.Join(p.dir, "data")
	out, err := p.command("initdb", "-D", data, "-U", p.Superuser, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	_ = os.Remove(pwfile)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken meanwhile
		port, err := freePort()
		if err != nil {
			return err
		}
		p.Port = port
		opts := fmt.Sprintf("-k %s -c listen_addresses=127.0.0.1 -p %d -c fsync=off -c full_page_writes=off -c synchronous_commit=off", p.dir, port)
		out, err = p.command("pg_ctl", "-D", data, "-l", filepath.Join(p.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput()
		if err == nil {
			return p.waitReady(30 * time.Second)
		}
		lastErr = fmt.Errorf("pg_ctl start: %v: %s %s", err, out, p.serverLog())
	}
	return lastErr
}

func (p *Postgres) serverLog() string { return logTail(filepath.Join(p.dir, "server.log")) }

func (p *Postgres) waitReady(timeout time.Duration) error {
	open := func() (*sql.DB, error) { return sql.Open("pgx", p.DSN(p.Superuser, p.SuperPassword, "postgres")) }
	if err := waitSQL(timeout, nil, open); err != nil {
		return fmt.Errorf("PostgreSQL on port %d: %w\n%s", p.Port, err, p.serverLog())
	}
	return nil
}

// Close stops the cluster (pg_ctl stop -m immediate on the postmaster it
// started) and removes its folder.
func (p *Postgres) Close() {
	if p.dir == "" {
		return
	}
	if _, err := os.Stat(filepath.Join(p.dir, "data", "postmaster.pid")); err == nil {
		_ = p.command("pg_ctl", "-D", filepath.Join(p.dir, "data"), "-m", "immediate", "-w", "-t", "30", "stop").Run()
	}
	_ = os.RemoveAll(p.dir)
	p.dir = ""
}

// DSN returns a pgx connection URL for user on database db over TCP.
func (p *Postgres) DSN(user, password, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: net.JoinHostPort(p.Host, strconv.Itoa(p.Port)), Path: "/" + db}
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// Exec runs statements as the superuser on database db.
func (p *Postgres) Exec(ctx context.Context, db string, stmts ...string) error {
	conn, err := sql.Open("pgx", p.DSN(p.Superuser, p.SuperPassword, db))
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("executing %q: %w", s, err)
		}
	}
	return nil
}

var pgIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// CreateUserDB creates a login role with password and a database it owns.
func (p *Postgres) CreateUserDB(ctx context.Context, user, password, db string) error {
	if !pgIdent.MatchString(user) || !pgIdent.MatchString(db) {
		return fmt.Errorf("testservers: %q / %q must be lowercase SQL identifiers", user, db)
	}
	return p.Exec(ctx, "postgres",
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", user, strings.ReplaceAll(password, "'", "''")),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", db, user))
}

// SeedTable is a table to create and fill, in the format of the
// conformance fixtures' external_services.postgres.seed: column
// definitions in order and rows as JSON objects (strings and numbers).
type SeedTable struct {
	Table   string `json:"table"`
	Columns []struct {
		Name        string `json:"name"`
		Type        string `json:"type"`
		Constraints string `json:"constraints"`
	} `json:"columns"`
	Rows []map[string]json.RawMessage `json:"rows"`
}

var seedType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 ]*(\([0-9, ]+\))?$`)
var seedConstraint = regexp.MustCompile(`^[A-Za-z ]*$`)

// Seed creates seed.Table as user (who must own db) and inserts its rows.
func (p *Postgres) Seed(ctx context.Context, user, password, db string, seed SeedTable) error {
	if !pgIdent.MatchString(seed.Table) {
		return fmt.Errorf("testservers: table %q is not a lowercase SQL identifier", seed.Table)
	}
	var cols []string
	var defs []string
	for _, c := range seed.Columns {
		if !pgIdent.MatchString(c.Name) || !seedType.MatchString(c.Type) || !seedConstraint.MatchString(c.Constraints) {
			return fmt.Errorf("testservers: column %q %q %q is not a plain column definition", c.Name, c.Type, c.Constraints)
		}
		cols = append(cols, c.Name)
		defs = append(defs, strings.TrimSpace(c.Name+" "+c.Type+" "+c.Constraints))
	}
	conn, err := sql.Open("pgx", p.DSN(user, password, db))
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", seed.Table, strings.Join(defs, ", "))); err != nil {
		return fmt.Errorf("creating %s: %w", seed.Table, err)
	}
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	ins := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", seed.Table, strings.Join(cols, ", "), strings.Join(ph, ", "))
	for i, r := range seed.Rows {
		args := make([]any, len(cols))
		for j, c := range cols {
			raw, ok := r[c]
			if !ok || string(raw) == "null" {
				continue // NULL
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				s = string(raw) // a number: its text, which PostgreSQL parses for the column's type
			}
			args[j] = s
		}
		if _, err := conn.ExecContext(ctx, ins, args...); err != nil {
			return fmt.Errorf("inserting row %d into %s: %w", i, seed.Table, err)
		}
	}
	return nil
}

// SQLEnrichmentFixture makes the database the peer's
// SqlQueryEnrichmentCfLineSpec expects: role user with password owning
// database db, holding the fixture's seed table. seedJSON is the fixture's
// external_services.postgres.seed; user, password and db come from its
// enrichment config (enricher / supersecret1 / sql_enrichment_test). The
// config's host and port (localhost:5432) must then be pointed at p.Host
// and p.Port.
func (p *Postgres) SQLEnrichmentFixture(ctx context.Context, seedJSON json.RawMessage, user, password, db string) error {
	var seed SeedTable
	if err := json.Unmarshal(seedJSON, &seed); err != nil {
		return fmt.Errorf("testservers: seed: %w", err)
	}
	if err := p.CreateUserDB(ctx, user, password, db); err != nil {
		return err
	}
	return p.Seed(ctx, user, password, db, seed)
}
