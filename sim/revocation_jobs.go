package sim

import (
	"sort"

	"github.com/leasesim/leasesim/model"
)

// revJobs is the revocation jobs in arrival order, materialised lazily: a
// cascade's million leases arrive at once, but the workers take them a few
// at a time. An arrival writes the lease's id (4 bytes), and its full record
// (revJob, 40 bytes) only when its block of jobs has one already; otherwise
// the block's records are made when the dispatcher first takes one of its
// jobs, from the ids and the arrival runs (a run is appended when a job's
// mount or instant differs from the last run's, so each job without a
// record has its own values in the last run begun at or before it). A job
// nobody took reads as it arrived (job, each): no attempt, not revoked,
// not marked. Jobs trickling in are taken at once, so their blocks have
// records and their runs are few.
type revJobs struct {
	lease  blocks[model.NodeID]
	runs   []arrivalRun              // in job order; runs[i] starts at job runs[i].from
	states []*[1 << blockBits]revJob // per block of jobs; nil until one of them is taken
}

// arrivalRun is the jobs from `from` on (to the next run) with one mount
// and one instant: a cascade's jobs of one mount are one run.
type arrivalRun struct {
	from  int32
	mount int32
	at    model.Millis
}

func (js *revJobs) len() int { return js.lease.len() }

// add appends the job of lease n on mount at t and returns its index.
func (js *revJobs) add(n model.NodeID, mount int32, t model.Millis) int {
	j := js.lease.add(n)
	if b := j >> blockBits; b < len(js.states) && js.states[b] != nil {
		js.states[b][j&(1<<blockBits-1)] = revJob{lease: n, mount: mount, expiredAt: t, revokedAt: -1, markedAt: -1}
		return j
	}
	if k := len(js.runs) - 1; k < 0 || js.runs[k].mount != mount || js.runs[k].at != t {
		js.runs = append(js.runs, arrivalRun{from: int32(j), mount: mount, at: t})
	}
	return j
}

// addQuiet appends the job of lease n on mount at t when it belongs to the
// last arrival run and its block has no records (a cascade's next job,
// with the dispatcher busy): one 4-byte store. It reports false, adding
// nothing, otherwise.
func (js *revJobs) addQuiet(n model.NodeID, mount int32, t model.Millis) bool {
	k := len(js.runs) - 1
	if k < 0 || js.runs[k].mount != mount || js.runs[k].at != t || js.len()>>blockBits < len(js.states) {
		return false
	}
	js.lease.add(n)
	return true
}

// arrived is job j as it arrived, in arrival run k.
func (js *revJobs) arrived(j, k int) revJob {
	r := &js.runs[k]
	return revJob{lease: *js.lease.at(j), mount: r.mount, expiredAt: r.at, revokedAt: -1, markedAt: -1}
}

// runOf is the index of the arrival run of job j.
func (js *revJobs) runOf(j int) int {
	return sort.Search(len(js.runs), func(k int) bool { return int(js.runs[k].from) > j }) - 1
}

// at returns job j's record to update, making its block's records first.
func (js *revJobs) at(j int) *revJob {
	b := j >> blockBits
	for b >= len(js.states) {
		js.states = append(js.states, nil)
	}
	if js.states[b] == nil {
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
	}
	return &js.states[b][j&(1<<blockBits-1)]
}

// job returns job j as it stands, without making its record.
func (js *revJobs) job(j int) revJob {
	if st := js.state(j); st != nil {
		return *st
	}
	return js.arrived(j, js.runOf(j))
}

// state is job j's record, or nil if its block has none.
func (js *revJobs) state(j int) *revJob {
	if b := j >> blockBits; b < len(js.states) && js.states[b] != nil {
		return &js.states[b][j&(1<<blockBits-1)]
	}
	return nil
}

// each calls f with every job as it stands, in order, making no record.
func (js *revJobs) each(f func(i int, j revJob)) {
	k := 0
	for i := range js.len() {
		if st := js.state(i); st != nil {
			f(i, *st)
			continue
		}
		for k+1 < len(js.runs) && int(js.runs[k+1].from) <= i {
			k++
		}
		f(i, js.arrived(i, k))
	}
}
