package bench

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock measures the CPU time this process spends (user + system, all
// threads: the garbage collector's workers included) between start and
// report, so that a benchmark's per-core figure does not depend on what
// else loads the machine.
type cpuClock struct{ start time.Duration }

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPU starts the clock (call it next to b.ResetTimer).
func startCPU(b *testing.B) cpuClock { return cpuClock{start: processCPU(b)} }

// report adds the metrics "cpu-µs/event" and "events/cpu-s" (events per
// second of CPU time, i.e. per fully used core) for events processed since
// start.
func (c cpuClock) report(b *testing.B, events int) {
	if events == 0 {
		return
	}
	cpu := processCPU(b) - c.start
	b.ReportMetric(float64(cpu.Microseconds())/float64(events), "cpu-µs/event")
	if cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}
