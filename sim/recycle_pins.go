package sim

import (
	"cmp"
	"slices"

	"github.com/leasesim/leasesim/model"
)

// Pins: the entities that ended in use which the reports list by name,
// and so keep their slots when a run recycles (recycle.go). A folded
// report names, of the ends in use,
//
//   - each cliff's first cliffRootsListed roots in issue order (and the
//     text report its first): a cap that hits 100,000 leases at once has
//     100,000 roots, and only ten are named;
//   - each outage's first outageEndsListed ends in use of its service's
//     actor at the instant the outage began (listedIndividually).
//
// Which ones is known only once the instant is over: a cliff's groups
// merge and an outage may begin later in the same instant, and ends come
// in the hierarchy's walk order, not in issue order. So the run keeps,
// per actor with a service, the least serials of its ends in use at the
// latest instant (outageEnds), and the cliff tracker its groups' roots;
// once the instant is over (decidePins, before anything is recycled),
// the first of each cliff and outage are pinned, the rest may go, and a
// cliff keeps the names it lists and the count of the rest. Pinned
// entities are never recycled: every report reads them as it would in a
// run keeping every slot.
type pins struct {
	pinned bitset       // by slot: listed by name, kept to the end
	outs   []outageEnds // by actor, for the actors with a service
	open   []int32      // actors whose outs are not decided yet
	cliffs int          // Engine.cliffs.all[:cliffs] are decided
}

// outageEnds are the ends in use of one actor's entities at instant at,
// the least outageEndsListed serials of them: those an outage of its
// service beginning at that instant lists.
type outageEnds struct {
	at     model.Instant
	open   bool // undecided
	queued bool // in pins.open
	n      int
	least  [outageEndsListed]serialNode
}

type serialNode struct {
	serial uint32
	n      model.NodeID
}

// endedInUse notes entity m of actor ai, which just ended in use, as one
// its service's outage may list (recycling runs only).
func (e *Engine) endedInUse(m model.NodeID, ai int32) {
	if !e.rc.on || e.actors[ai].service < 0 {
		return
	}
	p := &e.rc.pins
	if p.outs == nil {
		p.outs = make([]outageEnds, len(e.actors))
	}
	o := &p.outs[ai]
	now := e.loop.Now
	if o.open && o.at != now {
		e.decideOutage(ai)
	}
	if !o.open {
		o.at, o.open, o.n = now, true, 0
		if !o.queued {
			o.queued = true
			p.open = append(p.open, ai)
		}
	}
	s := serialNode{e.serialOf(m), m}
	if o.n < len(o.least) {
		o.least[o.n] = s
		o.n++
		return
	}
	j := 0
	for k := 1; k < len(o.least); k++ {
		if o.least[k].serial > o.least[j].serial {
			j = k
		}
	}
	if s.serial < o.least[j].serial {
		o.least[j] = s
	}
}

// decideOutage pins actor ai's noted ends if its service's outage began
// at their instant, which is over.
func (e *Engine) decideOutage(ai int32) {
	o := &e.rc.pins.outs[ai]
	if e.outageBegan(e.actors[ai].service, o.at) {
		for _, s := range o.least[:o.n] {
			e.rc.pins.pinned.set(int(s.n))
		}
	}
	o.open, o.n = false, 0
}

// outageBegan reports whether service s has an outage that began at at.
func (e *Engine) outageBegan(s int, at model.Instant) bool {
	sv := &e.services[s]
	if sv.open && sv.cur.From == at {
		return true
	}
	for i := len(sv.outages) - 1; i >= 0 && sv.outages[i].From >= at; i-- {
		if sv.outages[i].From == at {
			return true
		}
	}
	return false
}

// decidePins decides the pins of every instant before now: the noted
// ends of the outages, and the cliffs' roots. A cliff keeps its first
// roots by serial, pinned, and the count of all; a group of ends that is
// no cliff is dropped (nothing reads it once its instant is over: the
// reports and the revoker ask for cliffs only).
func (e *Engine) decidePins(now model.Instant) {
	p := &e.rc.pins
	if len(p.open) > 0 {
		k := 0
		for _, ai := range p.open {
			o := &p.outs[ai]
			if o.open && o.at < now {
				e.decideOutage(ai)
			}
			if o.open {
				p.open[k] = ai
				k++
			} else {
				o.queued = false
			}
		}
		p.open = p.open[:k]
	}
	t := &e.cliffs
	w, i := p.cliffs, p.cliffs
	for ; i < len(t.all) && t.all[i].At < now; i++ {
		c := t.all[i]
		if !c.isCliff() {
			continue
		}
		slices.SortFunc(c.Roots, func(a, b model.NodeID) int { return cmp.Compare(e.serialOf(a), e.serialOf(b)) })
		c.rootsTotal = c.NumRoots()
		if e.stream != nil && len(c.Roots) > cliffRootsListed {
			// The log's cliff lines name every root (cliffsJSON).
			for _, n := range c.Roots[cliffRootsListed:] {
				c.restRoots = append(c.restRoots, e.EntityID(n))
			}
		}
		c.Roots = slices.Clone(c.Roots[:min(len(c.Roots), cliffRootsListed)])
		for _, n := range c.Roots {
			p.pinned.set(int(n))
		}
		t.all[w] = c
		w++
	}
	if i > w {
		k := copy(t.all[w:], t.all[i:])
		clear(t.all[w+k:])
		t.all = t.all[:w+k]
	}
	p.cliffs = w
}
