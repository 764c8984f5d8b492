package sim

import "github.com/leasesim/leasesim/model"

// Recycling (Options.Recycle): a retired credential that ended holds a
// slot no report needs once its facts are folded (fold.go). This file is
// where slots are recycled; until they are, every entity keeps its slot
// and its serial is its NodeID.

// serialOf is entity n's issue serial: the order in which the run issued
// its entities, which reports list and fold by. A recycled slot's new
// entity has a later serial than every entity issued before it.
func (e *Engine) serialOf(n model.NodeID) uint32 { return uint32(n) }

// kept is every entity that still holds a slot, in issue (serial) order:
// all of them when nothing was recycled.
func (e *Engine) kept() []model.NodeID {
	out := make([]model.NodeID, len(e.ents))
	for i := range out {
		out[i] = model.NodeID(i)
	}
	return out
}
