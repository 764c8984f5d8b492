package scenarios

// ParsePolicy reads a policy file for `leasesim check --policy`: the same
// keys as a scenario's expect block, at the top level, applied to every
// scenario checked. Every problem is reported, as for scenarios.
//
//	no_cascade_larger_than: 0
//	no_system_default_max: true
//	min_reauth_margin: 24h
func ParsePolicy(file string, data []byte) (*Expect, error) {
	p := &parser{file: file}
	root := p.document(data)
	st := &state{sc: &Scenario{File: file}}
	if root != nil {
		p.anchors(root)
		if len(p.probs) == 0 {
			p.expect(st, entry{key: root, val: root})
		}
	}
	if len(p.probs) > 0 {
		sortProblems(p.probs)
		return nil, &ValidationError{Problems: p.probs}
	}
	return st.sc.Expect, nil
}
