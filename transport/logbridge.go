package transport

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strings"
)

// slogWriter turns memberlist's log lines ("[WARN] memberlist: ...") into
// slog records at the matching level.
type slogWriter struct {
	logger *slog.Logger
}

func newMemberlistLogger(l *slog.Logger) *log.Logger {
	return log.New(slogWriter{l}, "", 0)
}

var memberlistLevels = [...]struct {
	prefix string
	level  slog.Level
}{
	{"[DEBUG] ", slog.LevelDebug}, {"[INFO] ", slog.LevelInfo}, {"[WARN] ", slog.LevelWarn},
	{"[ERR] ", slog.LevelError}, {"[ERROR] ", slog.LevelError},
}

func (w slogWriter) Write(p []byte) (int, error) {
	n := len(p)
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte{'\n'}) {
		msg := string(line)
		level := slog.LevelInfo
		for _, p := range memberlistLevels {
			if strings.HasPrefix(msg, p.prefix) {
				level, msg = p.level, msg[len(p.prefix):]
				break
			}
		}
		msg = strings.TrimPrefix(msg, "memberlist: ")
		w.logger.Log(context.Background(), level, msg, "component", "memberlist")
	}
	return n, nil
}
