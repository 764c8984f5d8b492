package check

import (
	"fmt"
	"strconv"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// Revocation rules (docs/revocation.md): what the database sees after
// Vault ends a lease. They hold trivially with the instant model.
const (
	RuleMaxExposureWindow       = "max_exposure_window"
	RuleMaxRevocationsPerSecond = "max_revocations_per_second"
	RuleNoIrrevocableLeases     = "no_irrevocable_leases"
)

// revocationSpecs adds the revocation rules of one expect block or policy.
func revocationSpecs(x *scenarios.Expect, src string, add func(spec, string, func(*spec))) {
	if v := x.MaxExposureWindow; v != nil {
		add(spec{rule: RuleMaxExposureWindow, margin: *v}, src, func(o *spec) { o.margin = min(o.margin, *v) })
	}
	if v := x.MaxRevocationsPerSecond; v != nil {
		add(spec{rule: RuleMaxRevocationsPerSecond, limit: *v}, src, func(o *spec) { o.limit = min(o.limit, *v) })
	}
	if v := x.NoIrrevocableLeases; v != nil && *v {
		add(spec{rule: RuleNoIrrevocableLeases}, src, func(*spec) {})
	}
}

// exposure: no lease of a mount may stay usable in the database longer
// than d after it ended for Vault.
func (e *evaluator) exposure(d model.Duration) []Violation {
	v := e.r.Revocation
	if v == nil {
		return nil
	}
	var out []Violation
	for _, m := range v.Mounts {
		l := m.Longest
		if l.Window <= model.Millis(d)*1000 {
			continue
		}
		still := ""
		if !l.Revoked {
			still = " and is still usable at the horizon"
		}
		vi := Violation{
			What: fmt.Sprintf("%s: %s stayed usable in the database %s after it ended for Vault at %s%s (more than %s); %d of %d leases of the mount were revoked by the horizon",
				m.Mount, l.Lease, sim.FormatMillis(l.Window), e.when(l.ExpiredAt), still, d, m.Leases-m.StillUsable, m.Leases),
			At: l.ExpiredAt, HasAt: true, Entity: l.Lease, Layer: "revocation (" + m.Mount + ")",
			keys: []string{RuleMaxExposureWindow + "/" + m.Mount},
		}
		vi.Root = e.rootOf(l.Lease)
		vi.cands = append(e.leaseRootFixes(l.Lease), e.workersFixes(v.Workers, true)...)
		out = append(out, vi)
	}
	return out
}

// rate: no mount's database may see more than n revoke calls in a second.
func (e *evaluator) rate(n float64) []Violation {
	v := e.r.Revocation
	if v == nil {
		return nil
	}
	var out []Violation
	for _, m := range v.Mounts {
		if float64(m.PeakPerSec) <= n {
			continue
		}
		vi := Violation{
			What: fmt.Sprintf("%s: its database received %d revocations in the second from %s (more than %g)",
				m.Mount, m.PeakPerSec, e.when(m.PeakAt), n),
			At: m.PeakAt, HasAt: true, Entity: m.Mount, Layer: "revocation (" + m.Mount + ")",
			keys: []string{RuleMaxRevocationsPerSecond + "/" + m.Mount},
		}
		// The storm's root is proposed first; the violation is the mount's, so no root is named.
		vi.cands = append(e.leaseRootFixes(m.Longest.Lease), e.workersFixes(v.Workers, false)...)
		out = append(out, vi)
	}
	return out
}

// irrevocable: no lease may be marked irrevocable.
func (e *evaluator) irrevocable() []Violation {
	v := e.r.Revocation
	if v == nil {
		return nil
	}
	var out []Violation
	for _, m := range v.Mounts {
		if m.Irrevocable == 0 {
			continue
		}
		vi := Violation{
			What: fmt.Sprintf("%s: %d lease%s marked irrevocable after %d failed revocations (semantics.md §5.3); %d still usable in the database at the horizon",
				m.Mount, m.Irrevocable, sim.Plural(m.Irrevocable), model.MaxRevokeAttempts, m.StillUsable),
			Entity: m.Mount, Layer: "revocation (" + m.Mount + ")",
			keys: []string{RuleNoIrrevocableLeases + "/" + m.Mount},
			hint: "revocations fail in the database itself (an outage, a failure rate, or attempts longer than request_timeout): fix the database",
		}
		vi.cands = e.timeoutFixes(v.RequestTimeout)
		out = append(out, vi)
	}
	return out
}

// rootOf is the cascade root of a lease, or "".
func (e *evaluator) rootOf(lease string) string {
	if i, ok := e.byID[lease]; ok {
		return e.r.Fates()[i].Root
	}
	return ""
}

// leaseRootFixes proposes the fixes of whatever ended the lease: for a
// cascade, its root's (re-authenticate the broker before its hard end, so
// that the fleet's credentials are not ended together).
func (e *evaluator) leaseRootFixes(lease string) []candidate {
	i, ok := e.byID[lease]
	if !ok {
		return nil
	}
	f := &e.r.Fates()[i]
	if f.Root != "" {
		if j, ok := e.byID[f.Root]; ok {
			f = &e.r.Fates()[j]
		}
	}
	return e.rootsFixes([]*sim.Fate{f})
}

// workersFixes proposes another worker pool size: more workers drain a
// cliff sooner (the exposure window); fewer spread the database's load.
func (e *evaluator) workersFixes(workers int, more bool) []candidate {
	var sizes []int
	if more {
		for _, f := range []int{5, 10, 50} {
			if w := min(workers*f, model.MaxRevocationWorkers); w > workers && (len(sizes) == 0 || sizes[len(sizes)-1] != w) {
				sizes = append(sizes, w)
			}
		}
	} else {
		for _, f := range []int{2, 4, 10, 100} {
			if w := max(workers/f, 1); w < workers && (len(sizes) == 0 || sizes[len(sizes)-1] != w) {
				sizes = append(sizes, w)
			}
		}
	}
	var out []candidate
	for _, w := range sizes {
		why := "drain a cliff sooner"
		if !more {
			why = "spread the revocations the database receives"
		}
		out = append(out, candidate{e.revocationSet("workers", strconv.Itoa(w),
			fmt.Sprintf("run %d revocation workers instead of %d to %s (VAULT_LEASE_REVOCATION_WORKERS=%d, semantics.md §5.3)", w, workers, why, w))})
	}
	return out
}

// timeoutFixes proposes a longer request timeout, for attempts that time out.
func (e *evaluator) timeoutFixes(timeout model.Millis) []candidate {
	var out []candidate
	for _, f := range []int64{2, 4} {
		t := model.Millis(int64(timeout) * f)
		if t > 24*3600_000 {
			break
		}
		v := model.Duration(t / 1000).String()
		out = append(out, candidate{e.revocationSet("request_timeout", v,
			fmt.Sprintf("give each revocation %s instead of %s (default_max_request_duration, semantics.md §5.3)", v, sim.FormatMillis(timeout)))})
	}
	return out
}

// revocationSet changes one field of backend.revocation, creating the
// block when the scenario turned the model on without one.
func (e *evaluator) revocationSet(field, value, text string) change {
	if r := e.s.Backend.Revocation; r != nil && r.Line > 0 {
		return change{text: text, path: "backend.revocation." + field, value: value}
	}
	return change{text: text, path: "backend.revocation", value: fmt.Sprintf("{%s: %s}", field, value)}
}
