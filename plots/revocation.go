package plots

import "encoding/json"

// RevocationSecond is one second of one mount's revocation work, as
// events.jsonl's "revocation" lines record it (docs/revocation.md).
type RevocationSecond struct {
	T           int64
	Mount       string
	Attempts    int // revoke calls the database received in that second
	Failures    int
	Revoked     int
	Irrevocable int
	Backlog     int // the mount's leases not yet revoked (nor irrevocable) at its end
}

type revocationJSON struct {
	T           *int64 `json:"t"`
	Mount       string `json:"mount"`
	Attempts    int    `json:"attempts"`
	Failures    int    `json:"failures"`
	Revoked     int    `json:"revoked"`
	Irrevocable int    `json:"irrevocable"`
	Backlog     int    `json:"backlog"`
}

// parseRevocation reads one "revocation" line: they follow the cliff lines,
// in time order.
func (p *parser) parseRevocation(line []byte) error {
	var v revocationJSON
	if err := json.Unmarshal(line, &v); err != nil {
		return lineErr(p.line, jsonField(err), "%v", err)
	}
	switch {
	case v.T == nil:
		return lineErr(p.line, "t", "missing")
	case *v.T < 0 || *v.T > p.run.Horizon:
		return lineErr(p.line, "t", "%d is outside the run (0 to %d)", *v.T, p.run.Horizon)
	case v.Mount == "":
		return lineErr(p.line, "mount", "missing")
	}
	if n := len(p.run.Revocation); n > 0 && *v.T < p.run.Revocation[n-1].T {
		return lineErr(p.line, "t", "%d is before the previous revocation line's %d", *v.T, p.run.Revocation[n-1].T)
	}
	p.sawCliff = true // nothing but summaries may follow
	p.run.Revocation = append(p.run.Revocation, RevocationSecond{T: *v.T, Mount: v.Mount, Attempts: v.Attempts,
		Failures: v.Failures, Revoked: v.Revoked, Irrevocable: v.Irrevocable, Backlog: v.Backlog})
	return nil
}
