package compare

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/leasesim/leasesim/sim"
)

// revocationRows are what each side's revocation work came to
// (docs/revocation.md): shown only when a side modelled it.
func revocationRows(c *Comparison) [][3]string {
	b, p := c.Baseline.Result.Revocation, c.Proposal.Result.Revocation
	if b == nil && p == nil {
		return nil
	}
	cell := func(v *sim.Revocation, f func(*sim.Revocation) string) string {
		if v == nil {
			return "instant"
		}
		return f(v)
	}
	row := func(name string, f func(*sim.Revocation) string) [3]string {
		return [3]string{name, cell(b, f), cell(p, f)}
	}
	worst := func(v *sim.Revocation) (drain string, peak int) {
		drain = "—"
		for _, rc := range v.Cliffs {
			if rc.Drained {
				drain = sim.FormatMillis(rc.Drain)
			} else {
				drain = "not by the horizon"
			}
		}
		for _, m := range v.Mounts {
			peak = max(peak, m.PeakPerSec)
		}
		return drain, peak
	}
	return [][3]string{
		row("leases ended", func(v *sim.Revocation) string { return fmt.Sprint(v.Leases) }),
		row("exposure window p99", func(v *sim.Revocation) string { return sim.FormatMillis(v.Exposure.P99) }),
		row("exposure window max", func(v *sim.Revocation) string { return sim.FormatMillis(v.Exposure.Max) }),
		row("last cliff drained in", func(v *sim.Revocation) string { d, _ := worst(v); return d }),
		row("peak revocations/s", func(v *sim.Revocation) string { _, p := worst(v); return fmt.Sprint(p) }),
		row("irrevocable", func(v *sim.Revocation) string { return fmt.Sprint(v.Irrevocable) }),
		row("usable at horizon", func(v *sim.Revocation) string { return fmt.Sprint(v.Usable) }),
	}
}

func writeRevocationText(b *strings.Builder, c *Comparison) {
	rows := revocationRows(c)
	if rows == nil {
		return
	}
	b.WriteString("\nRevocation (baseline → proposal; docs/revocation.md)\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "  %s\t%s → %s\n", r[0], r[1], r[2])
	}
	tw.Flush()
}

type jsonRevocation struct {
	Measure  string `json:"measure"`
	Baseline string `json:"baseline"`
	Proposal string `json:"proposal"`
}

func revocationJSON(c *Comparison) []jsonRevocation {
	var out []jsonRevocation
	for _, r := range revocationRows(c) {
		out = append(out, jsonRevocation{r[0], r[1], r[2]})
	}
	return out
}
