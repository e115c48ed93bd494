package shuffle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

// netJob holds what a Server received for one job.
type netJob struct {
	id         string
	partitions int

	mu       sync.Mutex
	dropped  bool
	attempts map[attemptKey]*netAttempt
}

type attemptKey struct{ task, attempt int }

type attemptState uint8

const (
	attemptOpen    attemptState = iota // receiving blocks
	attemptSealed                      // COMMIT verified: immutable, readable
	attemptDropped                     // freed
)

func (s attemptState) String() string {
	switch s {
	case attemptOpen:
		return "not committed yet"
	case attemptSealed:
		return "committed"
	}
	return "dropped"
}

// netAttempt is one map attempt's blocks on this server. Lock order:
// netJob.mu before netAttempt.mu.
type netAttempt struct {
	key    attemptKey
	conn   *serverConn // the connection and stream that sent it
	stream uint32

	mu        sync.Mutex
	state     attemptState
	parts     map[uint32]*netPart // after sealing: exactly the partitions COMMIT listed
	memBytes  int64
	spill     *os.File // open while receiving
	spillPath string
	spillAt   int64
}

type netPart struct {
	blocks  []blockRef
	records uint64
}

var errJobDropped = errors.New("shuffle: job dropped on this server")

// openAttempt registers a new attempt for an OPEN frame. An attempt is
// accepted once: a second OPEN of the same (job, task, attempt) is refused.
func (s *Server) openAttempt(m openMsg, sc *serverConn, stream uint32) (*netJob, *netAttempt, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, ErrServerClosed
	}
	if _, gone := s.dropped[m.job]; gone {
		s.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: job %q", errJobDropped, m.job)
	}
	job := s.jobs[m.job]
	if job == nil {
		job = &netJob{id: m.job, partitions: int(m.partitions), attempts: make(map[attemptKey]*netAttempt)}
		s.jobs[m.job] = job
	}
	s.mu.Unlock()

	if job.partitions != int(m.partitions) {
		return nil, nil, fmt.Errorf("shuffle: job %q has %d partitions on this server, map task %d attempt %d says %d",
			m.job, job.partitions, m.task, m.attempt, m.partitions)
	}
	key := attemptKey{int(m.task), int(m.attempt)}
	job.mu.Lock()
	defer job.mu.Unlock()
	if job.dropped {
		return nil, nil, fmt.Errorf("%w: job %q", errJobDropped, m.job)
	}
	if old := job.attempts[key]; old != nil {
		return nil, nil, fmt.Errorf("shuffle: job %q map task %d attempt %d is already on this server; an attempt is accepted once",
			m.job, key.task, key.attempt)
	}
	att := &netAttempt{key: key, conn: sc, stream: stream, parts: make(map[uint32]*netPart)}
	job.attempts[key] = att
	return job, att, nil
}

// addBlock stores one received block, in memory if the budget allows, else
// in the attempt's spill file. Ownership of block passes to the attempt.
func (a *netAttempt) addBlock(s *Server, job *netJob, part uint32, block []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state != attemptOpen {
		return fmt.Errorf("shuffle: job %q map task %d attempt %d is %s on this server", job.id, a.key.task, a.key.attempt, a.state)
	}
	if int64(part) >= int64(job.partitions) {
		return fmt.Errorf("shuffle: job %q map task %d attempt %d: partition %d out of range [0,%d)",
			job.id, a.key.task, a.key.attempt, part, job.partitions)
	}
	recs, err := BlockLen(block)
	if err != nil {
		return fmt.Errorf("shuffle: job %q map task %d attempt %d partition %d: %w", job.id, a.key.task, a.key.attempt, part, err)
	}
	n := int64(len(block))
	ref := blockRef{records: recs, len: n}
	if s.reserveMem(n) {
		ref.mem = block
		a.memBytes += n
	} else {
		if a.spill == nil {
			f, err := os.CreateTemp(s.spillDir, fmt.Sprintf("m%d-a%d-*.spill", a.key.task, a.key.attempt))
			if err != nil {
				return fmt.Errorf("shuffle: creating spill file: %w", err)
			}
			a.spill, a.spillPath = f, f.Name()
		}
		if _, err := a.spill.Write(block); err != nil {
			return fmt.Errorf("shuffle: writing spill file %s: %w", a.spillPath, err)
		}
		ref.off = a.spillAt
		a.spillAt += n
		s.st.spilled.Add(n)
	}
	p := a.parts[part]
	if p == nil {
		p = &netPart{}
		a.parts[part] = p
	}
	p.blocks = append(p.blocks, ref)
	p.records += uint64(recs)
	s.st.blocks.Add(1)
	return nil
}

// seal checks COMMIT's totals against what arrived and makes the attempt
// readable. Every partition that received blocks must be listed; listed
// partitions without blocks are committed empty.
func (a *netAttempt) seal(job *netJob, entries []commitEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	where := fmt.Sprintf("job %q map task %d attempt %d", job.id, a.key.task, a.key.attempt)
	if a.state != attemptOpen {
		return fmt.Errorf("shuffle: %s is %s on this server", where, a.state)
	}
	listed := make(map[uint32]bool, len(entries))
	for _, e := range entries {
		if int64(e.partition) >= int64(job.partitions) {
			return fmt.Errorf("shuffle: %s: COMMIT lists partition %d, out of range [0,%d)", where, e.partition, job.partitions)
		}
		listed[e.partition] = true
		var blocks, records uint64
		if p := a.parts[e.partition]; p != nil {
			blocks, records = uint64(len(p.blocks)), p.records
		}
		if blocks != uint64(e.blocks) || records != e.records {
			return fmt.Errorf("shuffle: %s partition %d: received %d blocks of %d records, COMMIT says %d blocks of %d records",
				where, e.partition, blocks, records, e.blocks, e.records)
		}
	}
	for p, part := range a.parts {
		if !listed[p] {
			return fmt.Errorf("shuffle: %s: received %d blocks for partition %d, which COMMIT does not list", where, len(part.blocks), p)
		}
	}
	for p := range listed {
		if a.parts[p] == nil {
			a.parts[p] = &netPart{}
		}
	}
	if a.spill != nil {
		err := a.spill.Close()
		a.spill = nil
		if err != nil {
			return fmt.Errorf("shuffle: closing spill file %s: %w", a.spillPath, err)
		}
	}
	a.state = attemptSealed
	return nil
}

// free releases the attempt's memory and spill file; false if it was
// already dropped.
func (a *netAttempt) free(s *Server) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state == attemptDropped {
		return false
	}
	a.state = attemptDropped
	s.memUsed.Add(-a.memBytes)
	a.memBytes = 0
	a.parts = nil
	if a.spill != nil {
		a.spill.Close()
		a.spill = nil
	}
	if a.spillPath != "" {
		os.Remove(a.spillPath)
	}
	s.st.dropped.Add(1)
	return true
}

// dropAttempt forgets an attempt and frees it.
func (s *Server) dropAttempt(job *netJob, a *netAttempt) {
	job.mu.Lock()
	if job.attempts[a.key] == a {
		delete(job.attempts, a.key)
	}
	job.mu.Unlock()
	a.free(s)
}

// withdrawSealed drops a committed attempt named by a late ABORT, if that
// connection's stream is what sealed it (a refused duplicate's ABORT must
// not withdraw the original).
func (s *Server) withdrawSealed(m openMsg, sc *serverConn, stream uint32) {
	s.mu.Lock()
	job := s.jobs[m.job]
	s.mu.Unlock()
	if job == nil {
		return
	}
	key := attemptKey{int(m.task), int(m.attempt)}
	job.mu.Lock()
	a := job.attempts[key]
	job.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	sealed := a.state == attemptSealed && a.conn == sc && a.stream == stream
	a.mu.Unlock()
	if sealed {
		s.dropAttempt(job, a)
	}
}

func (j *netJob) dropAll(s *Server) {
	j.mu.Lock()
	j.dropped = true
	atts := j.attempts
	j.attempts = nil
	j.mu.Unlock()
	for _, a := range atts {
		a.free(s)
	}
}

// DropJob frees everything received for jobID, memory and spill files, and
// refuses later streams of that job. Call it when the job committed or
// failed.
func (s *Server) DropJob(jobID string) {
	s.mu.Lock()
	job := s.jobs[jobID]
	delete(s.jobs, jobID)
	if _, ok := s.dropped[jobID]; !ok {
		s.dropped[jobID] = struct{}{}
		s.dropOrder = append(s.dropOrder, jobID)
		if len(s.dropOrder) > droppedJobsKept {
			delete(s.dropped, s.dropOrder[0])
			s.dropOrder = s.dropOrder[1:]
		}
	}
	s.mu.Unlock()
	if job != nil {
		job.dropAll(s)
	}
}

// readSource is one winning attempt's blocks of the partition being read.
type readSource struct {
	task      int
	refs      []blockRef
	spillPath string
}

// ReadPartition calls fn for every record of partition p of jobID that the
// winning attempts sent here: winners maps each map task of the job to its
// committed attempt (the scheduler's record). Tasks are read in ascending
// order, each task's records in the order its mapper added them, so the
// result is deterministic and equals what Local.ReadPartition gives for the
// same committed attempts. rec is valid only during the call.
//
// Every winner must have committed to this server a COMMIT listing p (empty
// or not); otherwise the error wraps ErrMissingOutput and names the task.
// Other attempts of the winners' tasks are freed. Attempts of tasks absent
// from winners are ignored (DropJob frees them). Data stays readable until
// DropJob, so a retried reduce task can read again.
func (s *Server) ReadPartition(ctx context.Context, jobID string, p int, winners map[int]int, fn func(rec []byte) error) error {
	if p < 0 {
		return fmt.Errorf("shuffle: partition %d out of range", p)
	}
	if len(winners) == 0 {
		return nil
	}
	s.mu.Lock()
	job := s.jobs[jobID]
	s.mu.Unlock()
	if job == nil {
		return fmt.Errorf("%w: job %q has no map output on this server", ErrMissingOutput, jobID)
	}
	if p >= job.partitions {
		return fmt.Errorf("shuffle: job %q: partition %d out of range [0,%d)", jobID, p, job.partitions)
	}
	tasks := make([]int, 0, len(winners))
	for t := range winners {
		tasks = append(tasks, t)
	}
	sort.Ints(tasks)

	var losers []*netAttempt
	sources := make([]readSource, 0, len(tasks))
	job.mu.Lock()
	for key, a := range job.attempts {
		if w, ok := winners[key.task]; ok && w != key.attempt {
			losers = append(losers, a)
			delete(job.attempts, key)
		}
	}
	var missing error
	for _, t := range tasks {
		a := job.attempts[attemptKey{t, winners[t]}]
		if a == nil {
			missing = fmt.Errorf("%w: job %q partition %d: map task %d attempt %d is not on this server",
				ErrMissingOutput, jobID, p, t, winners[t])
			break
		}
		a.mu.Lock()
		state := a.state
		var part *netPart
		if state == attemptSealed {
			part = a.parts[uint32(p)]
		}
		path := a.spillPath
		a.mu.Unlock()
		if state != attemptSealed {
			missing = fmt.Errorf("%w: job %q partition %d: map task %d attempt %d is %s on this server",
				ErrMissingOutput, jobID, p, t, winners[t], state)
			break
		}
		if part == nil {
			missing = fmt.Errorf("%w: job %q partition %d: map task %d attempt %d committed here without this partition (it sent it to another server)",
				ErrMissingOutput, jobID, p, t, winners[t])
			break
		}
		sources = append(sources, readSource{task: t, refs: part.blocks, spillPath: path})
	}
	job.mu.Unlock()
	for _, a := range losers {
		a.free(s)
	}
	if missing != nil {
		return missing
	}

	var scratch, buf []byte
	for _, src := range sources {
		var f *os.File
		for _, ref := range src.refs {
			if err := ctx.Err(); err != nil {
				closeFile(f)
				return err
			}
			block := ref.mem
			if block == nil {
				if f == nil {
					var err error
					if f, err = os.Open(src.spillPath); err != nil {
						return fmt.Errorf("shuffle: job %q partition %d map task %d: opening spill file: %w", jobID, p, src.task, err)
					}
				}
				if cap(buf) < int(ref.len) {
					buf = make([]byte, ref.len)
				}
				block = buf[:ref.len]
				if _, err := f.ReadAt(block, ref.off); err != nil {
					f.Close()
					if err == io.EOF {
						err = io.ErrUnexpectedEOF
					}
					return fmt.Errorf("shuffle: job %q partition %d map task %d: reading spill file %s: %w", jobID, p, src.task, src.spillPath, err)
				}
			}
			var err error
			scratch, err = DecodeBlock(block, scratch, fn)
			if err != nil {
				closeFile(f)
				return fmt.Errorf("shuffle: job %q partition %d, map task %d: %w", jobID, p, src.task, err)
			}
		}
		closeFile(f)
	}
	return nil
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}
