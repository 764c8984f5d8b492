package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/sim"
)

// WriteText writes the comparison for people.
func WriteText(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "baseline  %s (seed %d)\nproposal  %s (seed %d)\n\n", c.Baseline.Label, c.Baseline.Result.Seed, c.Proposal.Label, c.Proposal.Result.Seed)
	fmt.Fprintf(&b, "%s\n", c.Verdict())

	b.WriteString("\nCliffs\n")
	if len(c.Cliffs) == 0 {
		b.WriteString("  none in either run\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  change\troot actor\tcause\tbound by\tbaseline\tproposal\n")
		for _, ch := range c.Cliffs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", ch.Change, ch.Actor, ch.Cause, ch.BoundBy, cliffCell(c.Baseline, ch.Baseline), cliffCell(c.Proposal, ch.Proposal))
		}
		tw.Flush()
	}

	b.WriteString("\nEarliest token hard end (from explain)\n")
	fmt.Fprintf(&b, "  baseline  %s\n  proposal  %s\n", hardEndCell(c.Baseline, c.BaselineEarliest), hardEndCell(c.Proposal, c.ProposalEarliest))

	b.WriteString("\nServices\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  service\toutage min (baseline → proposal)\tfailed requests (baseline → proposal)\n")
	for _, s := range c.Services {
		fmt.Fprintf(tw, "  %s\t%s → %s\t%.0f → %.0f\n", s.Service, minutes(s.BaselineDown), minutes(s.ProposalDown), s.BaselineFailed, s.ProposalFail)
	}
	bd, pd, bf, pf := c.Totals()
	fmt.Fprintf(tw, "  total\t%s → %s\t%.0f → %.0f\n", minutes(bd), minutes(pd), bf, pf)
	tw.Flush()

	_, err := io.WriteString(w, sim.TrimLines(b.String()))
	return err
}

func cliffCell(s Side, c *sim.Cliff) string {
	if c == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%d in use)", sim.Clock{Start: s.Scenario.Start}.Date(c.At), c.Size())
}

func hardEndCell(s Side, h HardEnd) string {
	if !h.Set {
		return "none: no token it defines has a hard end"
	}
	return fmt.Sprintf("%s %s (%s) ← %s", h.Entity, sim.Clock{Start: s.Scenario.Start}.Date(h.At), sim.FormatOffset(h.At), h.By)
}

type jsonDoc struct {
	Baseline            jsonSide      `json:"baseline"`
	Proposal            jsonSide      `json:"proposal"`
	Verdict             string        `json:"verdict"`
	Better              bool          `json:"better"`
	CliffsRemoved       int           `json:"cliffs_removed"`
	CliffsAdded         int           `json:"cliffs_added"`
	CliffsMoved         int           `json:"cliffs_moved"`
	Cliffs              []jsonCliff   `json:"cliffs"`
	Services            []jsonService `json:"services"`
	OutageSecondsSaved  int64         `json:"outage_seconds_saved"`
	FailedRequestsSaved float64       `json:"failed_requests_saved"`
}

type jsonSide struct {
	Label              string  `json:"label"`
	Scenario           string  `json:"scenario"`
	Seed               uint64  `json:"seed"`
	Cliffs             int     `json:"cliffs"`
	OutageSeconds      int64   `json:"outage_seconds"`
	FailedRequests     float64 `json:"failed_requests"`
	EarliestHardEnd    *string `json:"earliest_hard_end"`
	EarliestHardEndBy  *string `json:"earliest_hard_end_bound_by"`
	EarliestHardEntity *string `json:"earliest_hard_end_entity"`
}

type jsonCliff struct {
	Change     string  `json:"change"`
	Actor      string  `json:"actor"`
	Cause      string  `json:"cause"`
	BoundBy    string  `json:"bound_by"`
	BaselineAt *string `json:"baseline_at"`
	ProposalAt *string `json:"proposal_at"`
}

type jsonService struct {
	Service                string  `json:"service"`
	BaselineOutageSeconds  int64   `json:"baseline_outage_seconds"`
	ProposalOutageSeconds  int64   `json:"proposal_outage_seconds"`
	BaselineFailedRequests float64 `json:"baseline_failed_requests"`
	ProposalFailedRequests float64 `json:"proposal_failed_requests"`
}

// WriteJSON writes the comparison as one JSON document.
func WriteJSON(w io.Writer, c *Comparison) error {
	bd, pd, bf, pf := c.Totals()
	doc := jsonDoc{
		Baseline: side(c.Baseline, c.BaselineEarliest, bd, bf), Proposal: side(c.Proposal, c.ProposalEarliest, pd, pf),
		Verdict: c.Verdict(), Better: c.Better(),
		CliffsRemoved: c.Count("removed"), CliffsAdded: c.Count("added"), CliffsMoved: c.Count("moved"),
		Cliffs: []jsonCliff{}, Services: []jsonService{},
		OutageSecondsSaved: int64(bd - pd), FailedRequestsSaved: bf - pf,
	}
	for _, ch := range c.Cliffs {
		j := jsonCliff{Change: ch.Change, Actor: ch.Actor, Cause: ch.Cause.String(), BoundBy: ch.BoundBy.String()}
		if ch.Baseline != nil {
			j.BaselineAt = ptr(sim.Clock{Start: c.Baseline.Scenario.Start}.RFC3339(ch.Baseline.At))
		}
		if ch.Proposal != nil {
			j.ProposalAt = ptr(sim.Clock{Start: c.Proposal.Scenario.Start}.RFC3339(ch.Proposal.At))
		}
		doc.Cliffs = append(doc.Cliffs, j)
	}
	for _, s := range c.Services {
		doc.Services = append(doc.Services, jsonService{s.Service, int64(s.BaselineDown), int64(s.ProposalDown), s.BaselineFailed, s.ProposalFail})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func side(s Side, h HardEnd, down model.Duration, failed float64) jsonSide {
	j := jsonSide{Label: s.Label, Scenario: s.Scenario.Name, Seed: s.Result.Seed, Cliffs: len(s.Result.Cliffs),
		OutageSeconds: down.Seconds(), FailedRequests: failed}
	if h.Set {
		j.EarliestHardEnd = ptr(sim.Clock{Start: s.Scenario.Start}.RFC3339(h.At))
		j.EarliestHardEndBy = ptr(h.By.String())
		j.EarliestHardEntity = ptr(h.Entity)
	}
	return j
}

func ptr[T any](v T) *T { return &v }
