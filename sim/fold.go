package sim

import "github.com/leasesim/leasesim/model"

// entityFold is what the reports need of the entities whose slots were
// recycled (Options.Recycle): their facts folded as the reports fold
// them, so that a report of a run that recycled reads exactly as one of
// the same run that did not. Its size follows the scenario (actors,
// kinds, end causes, layers), not the run: a year of a re-read fleet
// folds millions of credential generations into a few buckets.
//
// Only leases that ended are recycled, and never one a report lists by
// name as a cliff's root or an outage's start (recycle_pins.go), except as
// its group's earliest capped renewal (report.json's listedFirstCapped):
// that one's fate is kept.
type entityFold struct {
	n       int          // entities folded
	buckets []foldBucket // in order of first fold
	index   map[foldKey]int32
	last    int32 // 1 + the bucket of the last add: a run of one actor's ends skips the map
	caps    []foldCap
}

// foldKey is what the reports group entities by: by is the folded layer
// (foldLayer: ancestor fleet.token for every fleet token's cascade), so a
// fleet re-authenticating for a year adds no bucket per token generation.
type foldKey struct {
	actor    int32
	kind     entKind
	replaced bool
	ended    bool
	cause    EndCause
	by       layerRef
}

// foldBucket is the entities folded under one key.
type foldBucket struct {
	foldKey
	n int
	// name is what the reports name the bucket's layer by: the exact
	// layer while its entities agree (layerName), which the exact layer's
	// ref would not keep (the layer table releases it with its token).
	name layerName
	// serial is the least issue serial folded here: where the bucket's
	// entities first appear in the reports' issue order.
	serial                uint32
	firstIssue, lastIssue model.Instant
	firstEnd, lastEnd     model.Instant
	// firstInUseEnd is the earliest end of those still in use when they
	// ended (Ending.InUse), when anyInUse.
	firstInUseEnd model.Instant
	anyInUse      bool
}

// foldCap is the first capped renewals of one actor's entities of one
// kind, folded.
type foldCap struct {
	actor       int32
	kind        entKind
	n           int
	serial      uint32 // the least serial of them
	least, most model.Duration
	// first is the earliest (ties: the lower serial, as a walk in issue
	// order finds it), firstSerial its entity's serial and fate its fate.
	first       CappedRenewal
	firstSerial uint32
	fate        Fate
}

// add folds entity n, whose slot is about to be recycled: its facts,
// names and serial are still readable.
func (f *entityFold) add(e *Engine, n model.NodeID) {
	f.n++
	en := &e.ents[n]
	p := e.pastOf(n)
	k := foldKey{actor: en.actor, kind: en.kind, replaced: en.retired, ended: en.ended, cause: p.cause, by: e.layers.fold(p.endBy)}
	s := e.serialOf(n)
	issue, end := e.issueTime(n), p.endAt.Instant()
	inUse := en.ended && (!en.retired || p.replacedAt >= p.endAt)
	b := f.bucket(k, s, issue, end)
	b.n++
	b.name.add(e.layers.at(p.endBy))
	b.serial = min(b.serial, s)
	b.firstIssue, b.lastIssue = min(b.firstIssue, issue), max(b.lastIssue, issue)
	b.firstEnd, b.lastEnd = min(b.firstEnd, end), max(b.lastEnd, end)
	if inUse {
		if !b.anyInUse || end < b.firstInUseEnd {
			b.firstInUseEnd = end
		}
		b.anyInUse = true
	}
	if p.capped > 0 {
		f.addCapped(e, n, s, &e.capped[p.capped-1])
	}
}

// bucket is k's bucket, begun with an entity's serial and instants if new.
func (f *entityFold) bucket(k foldKey, s uint32, issue, end model.Instant) *foldBucket {
	if f.last > 0 && f.buckets[f.last-1].foldKey == k {
		return &f.buckets[f.last-1]
	}
	i, ok := f.index[k]
	if !ok {
		if f.index == nil {
			f.index = map[foldKey]int32{}
		}
		f.buckets = append(f.buckets, foldBucket{foldKey: k, serial: s, firstIssue: issue, lastIssue: issue, firstEnd: end, lastEnd: end})
		i = int32(len(f.buckets) - 1)
		f.index[k] = i
	}
	f.last = i + 1
	return &f.buckets[i]
}

func (f *entityFold) addCapped(e *Engine, n model.NodeID, s uint32, fc *CappedRenewal) {
	en := &e.ents[n]
	j := 0
	for j < len(f.caps) && (f.caps[j].actor != en.actor || f.caps[j].kind != en.kind) {
		j++
	}
	if j == len(f.caps) {
		f.caps = append(f.caps, foldCap{actor: en.actor, kind: en.kind, serial: s, least: fc.Before(), most: fc.Before(), firstSerial: ^uint32(0)})
	}
	c := &f.caps[j]
	c.n++
	c.serial = min(c.serial, s)
	c.least, c.most = min(c.least, fc.Before()), max(c.most, fc.Before())
	if c.firstSerial == ^uint32(0) || cappedBefore(fc.At, s, c.first.At, c.firstSerial) {
		c.first, c.firstSerial = *fc, s
		c.fate = e.fate(n)
		c.fate.FirstCapped = &c.first // the engine's record is recycled with the slot
	}
}

// cappedBefore says whether a capped renewal at a of the entity of serial
// s comes before one at b of serial t: the earlier, and of two at one
// instant the one issued first, as a walk in issue order keeps the first
// of equals.
func cappedBefore(a model.Instant, s uint32, b model.Instant, t uint32) bool {
	return a < b || (a == b && s < t)
}

// cap is the folded capped renewals of actor's entities of kind k, or nil.
func (f *entityFold) cap(actor int32, k entKind) *foldCap {
	for j := range f.caps {
		if f.caps[j].actor == actor && f.caps[j].kind == k {
			return &f.caps[j]
		}
	}
	return nil
}

// EndTally is what a sweep reads of every entity's end (sweep.Metrics).
type EndTally struct {
	// SystemMaxBound counts the ended entities whose end the server's
	// max_lease_ttl set.
	SystemMaxBound int
	// FirstHardEndInUse is the first instant an entity reached its own
	// hard end while in use (Ending.InUse), when HardEndInUse.
	FirstHardEndInUse model.Instant
	HardEndInUse      bool
}

// EndTally tallies every entity's end: the kept ones one by one, the
// recycled ones folded (Options.Recycle).
func (r *Result) EndTally() EndTally {
	var t EndTally
	e := r.engine
	for _, n := range r.kept {
		p := e.pastOf(n)
		f := e.ending(n, &p)
		t.count(f.Ended, f.Cause, f.BoundBy, 1, f.InUse(), f.EndedAt)
	}
	e.fold.tally(e, &t)
	return t
}

// tally counts the folded entities' ends into t.
func (f *entityFold) tally(e *Engine, t *EndTally) {
	for _, b := range f.buckets {
		t.count(b.ended, b.cause, b.name.exact, b.n, b.anyInUse, b.firstInUseEnd)
	}
}

// count counts n entities that ended (or not) alike, the first of those
// in use when they ended (inUse) at firstInUse.
func (t *EndTally) count(ended bool, cause EndCause, by model.Layer, n int, inUse bool, firstInUse model.Instant) {
	if !ended {
		return
	}
	if by.Kind == model.LayerSystemMax {
		t.SystemMaxBound += n
	}
	if cause == MaxTTL && inUse && (!t.HardEndInUse || firstInUse < t.FirstHardEndInUse) {
		t.FirstHardEndInUse, t.HardEndInUse = firstInUse, true
	}
}

// InUse says whether the entity was in use when it ended: its holder had
// not replaced it, or replaced it only in reaction to its end.
func (f Ending) InUse() bool { return f.Ended && (!f.Replaced || f.ReplacedAt >= f.EndedAt) }
