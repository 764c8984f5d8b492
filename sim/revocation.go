package sim

import (
	"slices"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// PurposeRevocation draws revoke latencies, failures and backoff jitter.
const PurposeRevocation Purpose = "revocation"

// dispatcherPoll is how often the fair-share dispatcher looks for an
// eligible queue while work waits (assignWork, helper/fairshare).
const dispatcherPoll model.Millis = 50

// irrevocableSleep is the pause after a failed daily retry.
const irrevocableSleep model.Millis = 10

// revoker is the expiration manager's revocation work (semantics.md §5.3,
// docs/revocation.md). It never changes validity: the engine ends a lease
// at its expiry instant as before; the revoker decides when the database
// user is actually gone. It keeps its own clock in milliseconds, advanced
// by the engine's whole seconds, its own event heap and its own random
// random numbers: deterministic, single-threaded, and invisible to the engine.
type revoker struct {
	cfg     *scenarios.Revocation
	draws   Draws
	now     model.Millis
	horizon model.Millis
	mounts  []revMount
	byPath  map[string]int
	byActor []int32 // the mount index + 1 of each actor's credential, 0 until its first lease ends
	// keyOf names a lease for its random numbers (the engine's entity key):
	// looked up when a job is attempted, not stored in every job.
	keyOf func(model.NodeID) Key
	// nameOf is a lease's id for the summary (the longest exposure), and
	// isCliff whether an instant's ends (over) make a cliff (attach).
	nameOf  func(model.NodeID) string
	isCliff func(model.Instant) bool
	// released, when set, is told each lease the revoker will never read
	// again (its job revoked and folded, revocation_fold.go): the engine may
	// then recycle its slot (recycle.go). keyOf and nameOf are never asked
	// of a lease after.
	released func(model.NodeID)
	windows  []dbWindow

	jobs   revJobs
	heap   revHeap
	seq    int64
	active []int // mounts whose queue has jobs, in round-robin order (queuesIndex)
	last   int   // lastQueueAccessed
	busy   int   // workers running a job
	// The dispatcher is idle (woken by the first job), polling every 50 ms
	// while work waits that no queue may take, or blocked on a free worker.
	polling, blocked bool

	irrevocable []int // jobs marked irrevocable and not yet revoked, in marking order
	passAt      model.Millis

	secs    []perSecond[revSecond] // activity per mount and second not folded yet (revocation_seconds.go)
	rowFold rowFold                // the seconds folded: totals, peaks, and the rows events.jsonl lists
	sum     revFold                // the jobs done, folded for the summary
}

type revMount struct {
	path    string
	cfg     scenarios.MountRevoke
	queue   []jobRun // job indexes, FIFO: queue[head:]
	head    int
	workers int // running jobs of this mount
	pending int // jobs not yet revoked nor irrevocable: the mount's backlog now
}

type dbWindow struct {
	mount    string
	from, to model.Millis
	outage   bool
	latency  model.Millis
}

// jobRun is the jobs from..to-1 waiting in a mount's queue, in that order:
// a cascade queues a million consecutive jobs as one run.
type jobRun struct{ from, to int32 }

// revJob is one ended lease's revocation, 40 bytes: a cascade makes a
// million of them at once. The lease's key for its random numbers is the
// engine's (revoker.keyOf).
type revJob struct {
	lease     model.NodeID
	draws     uint32 // numbers drawn so far: the k of the next one
	mount     int32
	attempts  uint8        // by the workers, at most model.MaxRevokeAttempts
	folded    bool         // revoked and folded into the summary (revocation_fold.go): done
	expiredAt model.Millis // the instant the lease ended for Vault
	revokedAt model.Millis // -1 until revoked
	markedAt  model.Millis // when marked irrevocable, -1 if never
}

type revEvKind uint8

// Same-millisecond order: workers finish before retries re-queue, before
// the dispatcher polls, before the daily pass.
const (
	revDone revEvKind = iota
	revRetry
	revPoll
	revPass
)

type revEvent struct {
	at     model.Millis
	kind   revEvKind
	seq    int64
	job    int
	failed bool
}

type revHeap []revEvent

// revFirst orders revHeap: by instant, kind, then the order pushed.
func revFirst(a, b *revEvent) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.seq < b.seq
}

// revSecond is one second of one mount's revocation work.
// 24 bytes: a fleet re-read at its caps ends leases in a million seconds.
type revSecond struct {
	Attempts, Failures, Revoked, Irrevocable int32
	// RevokedIrrevocable is, of Revoked, the leases a daily pass revoked
	// after they were marked irrevocable: out of the backlog since their
	// mark, so their revocation leaves it unchanged.
	RevokedIrrevocable int32
	arrivals           int32 // jobs queued (leases ended for Vault)
}

func newRevoker(s *scenarios.Scenario, seed uint64) *revoker {
	cfg := s.Backend.Revocation
	if cfg == nil {
		return nil
	}
	r := &revoker{cfg: cfg, draws: NewDraws(seed, PurposeRevocation), byPath: map[string]int{}, last: -1,
		horizon: model.Millis(s.Horizon) * 1000}
	for _, ev := range s.Events {
		switch ev.Do {
		case scenarios.EventDBOutage, scenarios.EventSlowdown:
			r.windows = append(r.windows, dbWindow{mount: ev.Mount, from: ms(ev.At), to: ms(ev.Until),
				outage: ev.Do == scenarios.EventDBOutage, latency: ev.Latency})
		}
	}
	return r
}

func ms(t model.Instant) model.Millis { return model.Millis(t) * 1000 }

func (r *revoker) mount(path string) int {
	if i, ok := r.byPath[path]; ok {
		return i
	}
	r.byPath[path] = len(r.mounts)
	r.mounts = append(r.mounts, revMount{path: path, cfg: r.cfg.Revoke(path)})
	return len(r.mounts) - 1
}

// actorMount is the mount index of actor ai's credential, looked up once
// per actor: a cascade ends a million leases of the same few actors, and
// events never move a role to another mount.
func (r *revoker) actorMount(e *Engine, ai int32) int {
	if int(ai) >= len(r.byActor) {
		r.byActor = append(r.byActor, make([]int32, len(e.actors)-len(r.byActor))...)
	}
	if m := r.byActor[ai]; m > 0 {
		return int(m - 1)
	}
	m := r.mount(e.b.SecretsRole(e.actors[ai].a.Credential).Mount)
	r.byActor[ai] = int32(m + 1)
	return m
}

func (r *revoker) push(ev revEvent) {
	r.seq++
	ev.seq = r.seq
	r.heap = pushHeap(r.heap, ev, revFirst)
}

// advance runs the revocation work up to and including t.
func (r *revoker) advance(t model.Millis) {
	for len(r.heap) > 0 && r.heap[0].at <= t {
		var ev revEvent
		ev, r.heap = popHeap(r.heap, revFirst)
		r.now = ev.at
		switch ev.kind {
		case revDone:
			r.done(ev.job, ev.failed)
		case revRetry:
			r.enqueue(ev.job, int(r.jobs.at(ev.job).mount))
		case revPoll:
			r.polling = false
			r.assign()
		case revPass:
			r.pass()
		}
	}
	r.now = max(r.now, t)
	if len(r.sum.late) > 0 {
		r.foldLate()
	}
}

// ended is the engine's hook: lease n ended for Vault at instant at (its
// expiry, its cap, its token's cascade or an operator's revoke) and
// becomes a revocation job on its mount's queue (§5.3, §6.1).
func (r *revoker) ended(n model.NodeID, mount int, at model.Instant) {
	t := ms(at)
	r.tick(t)
	if (r.blocked || r.polling) && t == r.now && (len(r.heap) == 0 || r.heap[0].at > t) {
		// A cascade's next lease, while the dispatcher cannot take it: it
		// joins its mount's last run, and the jobs' last arrival run.
		m := &r.mounts[mount]
		if q := m.queue; m.head < len(q) && int(q[len(q)-1].to) == r.jobs.len() && r.jobs.addQuiet(n, int32(mount), t) {
			q[len(q)-1].to++
			m.pending++
			r.second(t, mount).arrivals++
			return
		}
	}
	if len(r.heap) > 0 && r.heap[0].at <= t {
		r.advance(t)
	}
	r.now = max(r.now, t)
	j := r.jobs.add(n, int32(mount), t)
	r.mounts[mount].pending++
	r.second(t, mount).arrivals++
	r.enqueue(j, mount)
}

// enqueue is AddJob: job j goes to the back of its mount's queue; an
// idle dispatcher wakes at once.
func (r *revoker) enqueue(j, mount int) {
	m := &r.mounts[mount]
	switch q := m.queue; {
	case m.head == len(q):
		m.queue, m.head = append(q[:0], jobRun{int32(j), int32(j) + 1}), 0
		r.active = append(r.active, mount)
	case q[len(q)-1].to == int32(j): // the next of a cascade's jobs
		q[len(q)-1].to++
	default:
		m.queue = append(q, jobRun{int32(j), int32(j) + 1})
	}
	if !r.polling && !r.blocked {
		r.assign()
	}
}

// dequeue takes the job at the front of mount m's queue.
func (m *revMount) dequeue() int {
	run := &m.queue[m.head]
	j := run.from
	if run.from++; run.from == run.to {
		m.head++
	}
	return int(j)
}

// assign hands waiting jobs to workers, round-robin over the active
// queues, each queue capped at ceil(0.9 × workers / active queues).
func (r *revoker) assign() {
	for len(r.active) > 0 {
		if r.busy >= r.cfg.Workers {
			r.blocked = true // dispatch blocks until a worker is free
			return
		}
		q := r.nextQueue()
		if q < 0 {
			r.polling = true
			r.push(revEvent{at: r.now + dispatcherPoll, kind: revPoll})
			return
		}
		m := &r.mounts[q]
		j := m.dequeue()
		if m.head == len(m.queue) {
			r.removeActive(r.last)
		}
		r.start(j)
	}
}

func (r *revoker) nextQueue() int {
	cp := model.QueueWorkerCap(r.cfg.Workers, len(r.active))
	idx := r.last
	for range r.active {
		idx = (idx + 1) % len(r.active)
		if q := r.active[idx]; r.mounts[q].workers < cp {
			r.last = idx
			return q
		}
	}
	return -1
}

// removeActive drops an emptied queue, as removeLastQueueAccessed does.
func (r *revoker) removeActive(i int) {
	r.active = slices.Delete(r.active, i, i+1)
	if r.last > 0 {
		r.last--
	} else {
		r.last = len(r.active) - 1
	}
}

// attempt is job j's revoke against the database at t: how long it takes
// and whether it fails. Every attempt draws three numbers of the job's own,
// whatever the configuration, so that draws stay aligned across what-ifs.
func (r *revoker) attempt(j int, t, timeout model.Millis) (model.Millis, bool) {
	job := r.jobs.at(j)
	m := &r.mounts[job.mount]
	key := r.keyOf(job.lease)
	z, u := r.draws.Norm(key, uint64(job.draws)), r.draws.Float64(key, uint64(job.draws)+2)
	job.draws += 3
	lat := model.RevokeLatency(m.cfg.P50, m.cfg.P99, z)
	outage := false
	for _, w := range r.windows {
		if w.mount == m.path && t >= w.from && t < w.to {
			if w.outage {
				outage = true
			} else {
				lat = w.latency
			}
		}
	}
	took, timedOut := model.RevokeAttempt(lat, timeout)
	return took, timedOut || outage || u < m.cfg.Failure
}

func (r *revoker) start(j int) {
	job := r.jobs.at(j)
	m := &r.mounts[job.mount]
	job.attempts++
	took, failed := r.attempt(j, r.now, r.cfg.RequestTimeout)
	r.second(r.now, int(job.mount)).Attempts++
	m.workers++
	r.busy++
	r.push(revEvent{at: r.now + took, kind: revDone, job: j, failed: failed})
}

// done is a worker finishing: success, or OnFailure's retry or irrevocable mark.
func (r *revoker) done(j int, failed bool) {
	job := r.jobs.at(j)
	r.mounts[job.mount].workers--
	r.busy--
	if !failed {
		r.revoked(j, r.now)
	} else {
		r.second(r.now, int(job.mount)).Failures++
		if model.AfterFailure(int(job.attempts)) == model.Irrevocable {
			r.mark(j)
		} else {
			r.push(revEvent{at: r.now + model.RevokeBackoff(int(job.attempts), r.jitter(j)), kind: revRetry, job: j})
		}
	}
	if r.blocked {
		r.blocked = false
		r.assign()
	}
}

// jitter is job j's next backoff number, in [0, 1).
func (r *revoker) jitter(j int) float64 {
	job := r.jobs.at(j)
	job.draws++
	return r.draws.Float64(r.keyOf(job.lease), uint64(job.draws)-1)
}

func (r *revoker) revoked(j int, at model.Millis) {
	job := r.jobs.at(j)
	job.revokedAt = at
	s := r.second(at, int(job.mount))
	s.Revoked++
	if job.markedAt >= 0 { // a daily pass's: it left the backlog when marked
		s.RevokedIrrevocable++
	} else {
		r.mounts[job.mount].pending--
	}
	if at <= r.now {
		r.fold(j)
	} else {
		r.revokedLate(j, at)
	}
}

// mark is markLeaseIrrevocable: only the daily pass retries it. The lease
// leaves the mount's backlog (semantics.md §5.3: removed from the timer
// set, no longer the job queue's work) and stays usable in the database.
func (r *revoker) mark(j int) {
	job := r.jobs.at(j)
	job.markedAt = r.now
	r.mounts[job.mount].pending--
	r.second(r.now, int(job.mount)).Irrevocable++
	r.irrevocable = append(r.irrevocable, j)
	if r.passAt == 0 {
		r.passAt = model.NextIrrevocablePass(r.now)
		r.push(revEvent{at: r.passAt, kind: revPass})
	}
}

// pass is attemptIrrevocableLeasesRevoke: one revoke after another, each
// with a minute's timeout, for leases expired more than an hour ago;
// outside the worker pool.
func (r *revoker) pass() {
	t := r.now
	kept := r.irrevocable[:0]
	for _, j := range r.irrevocable {
		job := r.jobs.at(j)
		if !model.IrrevocableDue(job.expiredAt, r.now) {
			kept = append(kept, j)
			continue
		}
		took, failed := r.attempt(j, t, model.IrrevocableTimeout)
		r.second(t, int(job.mount)).Attempts++
		t += took
		if failed {
			r.second(t, int(job.mount)).Failures++
			t += irrevocableSleep
			kept = append(kept, j)
			continue
		}
		r.revoked(j, t)
	}
	r.irrevocable = kept
	r.passAt = 0
	if len(kept) > 0 {
		r.passAt = model.NextIrrevocablePass(r.now)
		r.push(revEvent{at: r.passAt, kind: revPass})
	}
}

// finish runs the work to the end of the run: what is not revoked by then
// is still usable in the database.
func (r *revoker) finish(end model.Instant) {
	r.advance(ms(end))
}
