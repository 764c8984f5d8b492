package sim

import "github.com/leasesim/leasesim/model"

// endPast records how entity m ended (entityPast's end fields). An entity
// with no past yet gets the record the last one ending with no past got,
// when that one ended at this instant for the same cause, layer and root:
// a cascade's million descendants differ in nothing a past says, and a
// record each was ~40% of a million-lease cascade (24 bytes of fresh
// memory per descendant, and the array's doublings). Nothing writes a
// past after its entity ended (retire and capped renewals touch live ones
// only), so sharing it changes no answer.
func (e *Engine) endPast(m, root model.NodeID, cause EndCause, by layerRef) {
	r := e.pastRef(m)
	if *r > 0 {
		p := &e.past[*r-1]
		p.cause, p.endAt, p.endBy, p.root = cause, runAt(e.loop.Now), by, root
		return
	}
	want := noPast
	want.cause, want.endAt, want.endBy, want.root = cause, runAt(e.loop.Now), by, root
	if i := e.sharedPast; i > 0 && int(i) <= len(e.past) && e.past[i-1] == want {
		*r = i
		e.rc.share(i, 1)
		return
	}
	*r = e.newPast(want)
	e.sharedPast = *r
}
