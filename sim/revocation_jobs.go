package sim

import (
	"slices"
	"sort"

	"github.com/leasesim/leasesim/model"
)

// revJobs is the revocation jobs in arrival order, materialised lazily: a
// cascade's million leases arrive at once, but the workers take them a few
// at a time. A job's full record (revJob, 40 bytes) is written at its
// arrival only when its block of jobs has records already; otherwise the
// block's records are made when the dispatcher first takes one of its jobs,
// from the arrival runs. A run is the jobs of one mount and instant whose
// leases step by a constant (a cascade's leases are mostly consecutive
// ids, or every other one under child tokens): a cascade of a million
// leases writes nothing per lease. A run is begun whenever a job without a
// record does not continue the last one, so each such job is described by
// the last run begun at or before it. A job nobody took reads as it
// arrived (job, each): no attempt, not revoked, not marked. Jobs trickling
// in are taken at once, so their blocks have records and runs are few.
//
// A job folded into the summary (revoked for good, revocation_fold.go)
// counts as done in its block; a block whose jobs are all done is dropped
// (its states entry nil again, its done count full): job storage follows
// the jobs pending, not every job ever queued.
type revJobs struct {
	n      int                       // jobs
	runs   []arrivalRun              // in job order; runs[i] starts at job runs[i].from
	states []*[1 << blockBits]revJob // per block of jobs; nil until one of them is taken, or once all are done
	done   []int32                   // per block, its jobs done: 1<<blockBits once dropped
	blocks int                       // blocks holding records now
	low    int                       // every block before it has records or was dropped: no run is read for it
}

// blockLen is the jobs of a block.
const blockLen = 1 << blockBits

// arrivalRun is the jobs from `from` on (to the next run) with one mount
// and one instant, job from+i of lease lease+i·stride.
type arrivalRun struct {
	from   int32
	mount  int32
	at     model.Millis
	lease  model.NodeID
	stride int32 // 0 until the run's second job
}

func (js *revJobs) len() int { return js.n }

// add appends the job of lease n on mount at t and returns its index.
func (js *revJobs) add(n model.NodeID, mount int32, t model.Millis) int {
	j := js.n
	js.n++
	if b := j >> blockBits; b < len(js.states) && js.states[b] != nil {
		js.states[b][j&(1<<blockBits-1)] = revJob{lease: n, mount: mount, expiredAt: t, revokedAt: -1, markedAt: -1}
		return j
	}
	if !js.continues(j, n, mount, t) {
		js.runs = append(js.runs, arrivalRun{from: int32(j), mount: mount, at: t, lease: n})
	}
	return j
}

// continues reports whether job j of lease n on mount at t continues the
// last run, fixing its stride at its second job.
func (js *revJobs) continues(j int, n model.NodeID, mount int32, t model.Millis) bool {
	k := len(js.runs) - 1
	if k < 0 {
		return false
	}
	r := &js.runs[k]
	if r.mount != mount || r.at != t {
		return false
	}
	i := int64(j) - int64(r.from)
	if r.stride == 0 && i == 1 {
		if d := int64(n) - int64(r.lease); d != 0 && d == int64(int32(d)) {
			r.stride = int32(d)
			return true
		}
		return false
	}
	return int64(r.lease)+i*int64(r.stride) == int64(n)
}

// addQuiet appends the job of lease n on mount at t when its block has no
// records and it continues the last run (a cascade's next job, with the
// dispatcher busy): no store but the count. It reports false, adding
// nothing, otherwise.
func (js *revJobs) addQuiet(n model.NodeID, mount int32, t model.Millis) bool {
	if js.n>>blockBits < len(js.states) || !js.continues(js.n, n, mount, t) {
		return false
	}
	js.n++
	return true
}

// arrived is job j as it arrived, in arrival run k.
func (js *revJobs) arrived(j, k int) revJob {
	r := &js.runs[k]
	lease := model.NodeID(int64(r.lease) + int64(j-int(r.from))*int64(r.stride))
	return revJob{lease: lease, mount: r.mount, expiredAt: r.at, revokedAt: -1, markedAt: -1}
}

// runOf is the index of the arrival run of job j.
func (js *revJobs) runOf(j int) int {
	return sort.Search(len(js.runs), func(k int) bool { return int(js.runs[k].from) > j }) - 1
}

// at returns job j's record to update, making its block's records first.
// A dropped block's jobs are never asked for: they are done.
func (js *revJobs) at(j int) *revJob {
	b := j >> blockBits
	for b >= len(js.states) {
		js.states = append(js.states, nil)
		js.done = append(js.done, 0)
	}
	if js.states[b] == nil {
		js.blocks++
		st := new([1 << blockBits]revJob)
		from, to := b<<blockBits, min(js.len(), (b+1)<<blockBits)
		k := js.runOf(from)
		for i := from; i < to; i++ {
			for k+1 < len(js.runs) && int(js.runs[k+1].from) <= i {
				k++
			}
			st[i-from] = js.arrived(i, k)
		}
		js.states[b] = st
		js.prune()
	}
	return &js.states[b][j&(1<<blockBits-1)]
}

// prune drops the arrival runs no block will read: those wholly before
// the first block without records (each block before it has its records
// or was dropped). The run holding that block's first job stays, and so
// the last run, which the next arrival may continue.
func (js *revJobs) prune() {
	for js.low < len(js.states) && (js.states[js.low] != nil || js.done[js.low] == blockLen) {
		js.low++
	}
	first := js.low << blockBits
	k := 0
	for k+1 < len(js.runs) && int(js.runs[k+1].from) <= first {
		k++
	}
	if k > 0 {
		js.runs = slices.Delete(js.runs, 0, k)
	}
}

// job returns job j as it stands, without making its record.
func (js *revJobs) job(j int) revJob {
	if st := js.state(j); st != nil {
		return *st
	}
	return js.arrived(j, js.runOf(j))
}

// retire marks job j, whose record is made, done for good; its block is
// dropped with its last job.
func (js *revJobs) retire(j int) {
	b := j >> blockBits
	js.states[b][j&(blockLen-1)].folded = true
	if js.done[b]++; js.done[b] == blockLen {
		js.states[b] = nil
		js.blocks--
	}
}

// dropped reports whether job j's block was dropped (all its jobs done).
func (js *revJobs) dropped(j int) bool {
	b := j >> blockBits
	return b < len(js.done) && js.done[b] == blockLen
}

// state is job j's record, or nil if its block has none.
func (js *revJobs) state(j int) *revJob {
	if b := j >> blockBits; b < len(js.states) && js.states[b] != nil {
		return &js.states[b][j&(1<<blockBits-1)]
	}
	return nil
}

// each calls f with every job not done, as it stands, in order, making no
// record.
func (js *revJobs) each(f func(i int, j revJob)) {
	k := 0
	for i := 0; i < js.len(); i++ {
		if js.dropped(i) {
			i |= blockLen - 1 // the block's last: the loop steps to the next block
			continue
		}
		if st := js.state(i); st != nil {
			if !st.folded {
				f(i, *st)
			}
			continue
		}
		for k+1 < len(js.runs) && int(js.runs[k+1].from) <= i {
			k++
		}
		f(i, js.arrived(i, k))
	}
}

// endedRun is ended for each of ns in turn, all of one mount at one
// instant (a cascade's leases): while the dispatcher cannot take them, the
// ones that continue the mount's last run join it together, with no call
// each.
func (r *revoker) endedRun(ns []model.NodeID, mount int, at model.Instant) {
	r.tick(ms(at))
	for len(ns) > 0 {
		k := r.quietRun(ns, mount, ms(at))
		if k == 0 {
			r.ended(ns[0], mount, at)
			k = 1
		}
		ns = ns[k:]
	}
}

// quietRun adds the jobs of the leases at the head of ns that ended's first
// case would add (each continues the last run, the dispatcher busy) and
// returns how many. Adding one changes none of the case's conditions but
// the last run's continuation, which addQuiet checks for the next.
func (r *revoker) quietRun(ns []model.NodeID, mount int, t model.Millis) int {
	if !(r.blocked || r.polling) || t != r.now || (len(r.heap) > 0 && r.heap[0].at <= t) {
		return 0
	}
	m := &r.mounts[mount]
	q := m.queue
	if m.head >= len(q) || int(q[len(q)-1].to) != r.jobs.len() {
		return 0
	}
	k := 0
	js := &r.jobs
	for k < len(ns) && k < 2 && js.addQuiet(ns[k], int32(mount), t) {
		k++
	}
	if k == 2 {
		// The run's stride is set: the rest continue it while their ids
		// step by it (addQuiet's block test holds on: no job is taken
		// meanwhile, so no block gets records).
		run := &js.runs[len(js.runs)-1]
		next := int64(run.lease) + int64(js.n-int(run.from))*int64(run.stride)
		j := k
		for j < len(ns) && int64(ns[j]) == next {
			next += int64(run.stride)
			j++
		}
		js.n += j - k
		k = j
	}
	q[len(q)-1].to += int32(k)
	m.pending += k
	if k > 0 {
		r.second(t, mount).arrivals += int32(k)
	}
	return k
}
