package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/leasesim/leasesim/model"
)

// FormatMillis writes a revocation span for people: "80ms", "9m16s", "2h5m".
func FormatMillis(d model.Millis) string {
	if d < 1000 {
		return fmt.Sprintf("%dms", d)
	}
	if d < 60_000 && d%1000 != 0 {
		return fmt.Sprintf("%.1fs", float64(d)/1000)
	}
	return model.Duration(d / 1000).String()
}

// writeRevocationText is the run report's revocation section.
func writeRevocationText(b *strings.Builder, r *Result) {
	v := r.Revocation
	if v == nil {
		return
	}
	c := Clock{r.Scenario.Start}
	fmt.Fprintf(b, "\nRevocation (expiration manager: %d workers, %s per attempt; docs/revocation.md)\n", v.Workers, FormatMillis(v.RequestTimeout))
	fmt.Fprintf(b, "  %d leases ended for Vault; %d revoked in the database by the horizon, %d still usable there (%d irrevocable)\n",
		v.Leases, v.Revoked, v.Usable, v.StillIrrev)
	fmt.Fprintf(b, "  exposure window (revocation − expiry): p50 %s, p99 %s, max %s", FormatMillis(v.Exposure.P50), FormatMillis(v.Exposure.P99), FormatMillis(v.Exposure.Max))
	if v.Leases > 0 {
		still := ""
		if !v.Longest.Revoked {
			still = ", not revoked by the horizon"
		}
		fmt.Fprintf(b, " (%s on %s, expired %s%s)", v.Longest.Lease, v.Longest.Mount, c.Date(v.Longest.ExpiredAt), still)
	}
	fmt.Fprintf(b, "\n  %d attempts, %d failed, %d retries, %d leases marked irrevocable\n", v.Attempts, v.Failures, v.Retries, v.Irrevocable)
	table(b, "Revocation per cliff", len(v.Cliffs), "when\tleases\tdrained in\tpeak revocations/s\tpeak backlog\tretries\tirrevocable\texposure p99", func(tw io.Writer) {
		for _, rc := range v.Cliffs {
			drain := FormatMillis(rc.Drain)
			if !rc.Drained {
				drain = "not by the horizon (>" + drain + ")"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\n", c.Date(rc.At), rc.Leases, drain, rc.PeakPerSec, rc.PeakBacklog, rc.Retries, rc.Irrevocable, FormatMillis(rc.Exposure.P99))
		}
	})
	table(b, "Revocation per mount (the load its database sees)", len(v.Mounts), "mount\tleases\tpeak revocations/s\tat\tpeak backlog\tstill usable\tirrevocable", func(tw io.Writer) {
		for _, m := range v.Mounts {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%d\t%d\t%d\n", m.Mount, m.Leases, m.PeakPerSec, c.Date(m.PeakAt), m.PeakBacklog, m.StillUsable, m.Irrevocable)
		}
	})
}

type revocationJSON struct {
	Workers            int             `json:"workers"`
	RequestTimeoutMs   int64           `json:"request_timeout_ms"`
	Leases             int             `json:"leases"`
	Revoked            int             `json:"revoked"`
	UsableAtHorizon    int             `json:"usable_at_horizon"`
	IrrevocableMarked  int             `json:"irrevocable_marked"`
	IrrevocableHorizon int             `json:"irrevocable_at_horizon"`
	Attempts           int             `json:"attempts"`
	Failures           int             `json:"failures"`
	Retries            int             `json:"retries"`
	Exposure           exposureJSON    `json:"exposure_window"`
	Longest            longestJSON     `json:"longest_exposure"`
	Cliffs             []revCliffJSON  `json:"cliffs"`
	Mounts             []mountLoadJSON `json:"mounts"`
}

type exposureJSON struct {
	P50 int64 `json:"p50_ms"`
	P99 int64 `json:"p99_ms"`
	Max int64 `json:"max_ms"`
}

type longestJSON struct {
	Lease     string `json:"lease"`
	Mount     string `json:"mount"`
	ExpiredAt string `json:"expired_at"`
	WindowMs  int64  `json:"window_ms"`
	Revoked   bool   `json:"revoked"`
}

type revCliffJSON struct {
	At          string       `json:"at"`
	Offset      int64        `json:"offset_seconds"`
	Leases      int          `json:"leases"`
	Drained     bool         `json:"drained"`
	DrainMs     int64        `json:"drain_ms"`
	PeakPerSec  int          `json:"peak_revocations_per_second"`
	PeakBacklog int          `json:"peak_backlog"`
	Retries     int          `json:"retries"`
	Irrevocable int          `json:"irrevocable"`
	Exposure    exposureJSON `json:"exposure_window"`
}

type mountLoadJSON struct {
	Mount       string `json:"mount"`
	Leases      int    `json:"leases"`
	PeakPerSec  int    `json:"peak_revocations_per_second"`
	PeakAt      string `json:"peak_at"`
	PeakBacklog int    `json:"peak_backlog"`
	StillUsable int    `json:"usable_at_horizon"`
	Irrevocable int    `json:"irrevocable_marked"`
}

func expJSON(e ExposureStats) exposureJSON {
	return exposureJSON{int64(e.P50), int64(e.P99), int64(e.Max)}
}

// revocationDoc is report.json's "revocation" object, nil with the instant model.
func revocationDoc(r *Result) *revocationJSON {
	v := r.Revocation
	if v == nil {
		return nil
	}
	c := Clock{r.Scenario.Start}
	d := &revocationJSON{Workers: v.Workers, RequestTimeoutMs: int64(v.RequestTimeout), Leases: v.Leases, Revoked: v.Revoked,
		UsableAtHorizon: v.Usable, IrrevocableMarked: v.Irrevocable, IrrevocableHorizon: v.StillIrrev,
		Attempts: v.Attempts, Failures: v.Failures, Retries: v.Retries, Exposure: expJSON(v.Exposure),
		Longest: longestJSON{Lease: v.Longest.Lease, Mount: v.Longest.Mount, ExpiredAt: c.RFC3339(v.Longest.ExpiredAt),
			WindowMs: int64(v.Longest.Window), Revoked: v.Longest.Revoked},
		Cliffs: []revCliffJSON{}, Mounts: []mountLoadJSON{}}
	for _, rc := range v.Cliffs {
		d.Cliffs = append(d.Cliffs, revCliffJSON{At: c.RFC3339(rc.At), Offset: int64(rc.At), Leases: rc.Leases, Drained: rc.Drained,
			DrainMs: int64(rc.Drain), PeakPerSec: rc.PeakPerSec, PeakBacklog: rc.PeakBacklog, Retries: rc.Retries,
			Irrevocable: rc.Irrevocable, Exposure: expJSON(rc.Exposure)})
	}
	for _, m := range v.Mounts {
		d.Mounts = append(d.Mounts, mountLoadJSON{Mount: m.Mount, Leases: m.Leases, PeakPerSec: m.PeakPerSec, PeakAt: c.RFC3339(m.PeakAt),
			PeakBacklog: m.PeakBacklog, StillUsable: m.StillUsable, Irrevocable: m.Irrevocable})
	}
	return d
}

// revocationLine is one events.jsonl line: one second of one mount's
// revocation work. The log aggregates by second so that a cliff of any
// size stays a few hundred lines.
type revocationLine struct {
	Kind        string `json:"kind"`
	Offset      int64  `json:"t"`
	Time        string `json:"time"`
	Mount       string `json:"mount"`
	Ended       int    `json:"ended"`
	Attempts    int    `json:"attempts"`
	Failures    int    `json:"failures"`
	Revoked     int    `json:"revoked"`
	Irrevocable int    `json:"irrevocable"`
	Backlog     int    `json:"backlog"`
}

func writeRevocationEvents(enc *json.Encoder, r *Result) error {
	if r.Revocation == nil {
		return nil
	}
	c := Clock{r.Scenario.Start}
	for _, s := range r.Revocation.Seconds {
		if err := enc.Encode(revocationLineOf(c, s)); err != nil {
			return err
		}
	}
	return nil
}

func revocationLineOf(c Clock, s RevocationSecond) revocationLine {
	return revocationLine{Kind: "revocation", Offset: int64(s.At), Time: c.RFC3339(s.At), Mount: s.Mount, Ended: int(s.Ended), Attempts: int(s.Attempts),
		Failures: int(s.Failures), Revoked: int(s.Revoked), Irrevocable: int(s.Irrevocable), Backlog: int(s.Backlog)}
}
