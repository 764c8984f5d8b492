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
	b.WriteString("Settings (baseline → proposal)\n")
	if len(c.Settings) == 0 {
		b.WriteString("  identical\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, s := range c.Settings {
			fmt.Fprintf(tw, "  %s\t%s → %s\n", s.Path, orUnset(s.Old), orUnset(s.New))
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "\n%s\n", c.Verdict())

	b.WriteString("\nCliffs\n")
	if len(c.Cliffs) == 0 {
		b.WriteString("  none in either run\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  change\troot actor\tcause\tbound by\tset with\tbaseline\tproposal\n")
		for _, ch := range c.Cliffs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", ch.Change, ch.Actor, ch.Cause, ch.By, orDash(ch.Set), cliffCell(c.Baseline, ch.Baseline), cliffCell(c.Proposal, ch.Proposal))
		}
		tw.Flush()
	}

	b.WriteString("\nEarliest hard end (from explain)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  token\tbaseline\t%s\n  \tproposal\t%s\n", hardEndCell(c.Baseline, c.BaselineEarliest), hardEndCell(c.Proposal, c.ProposalEarliest))
	fmt.Fprintf(tw, "  credential\tbaseline\t%s\n  \tproposal\t%s\n", hardEndCell(c.Baseline, c.BaselineEarliestCredential), hardEndCell(c.Proposal, c.ProposalEarliestCredential))
	tw.Flush()

	b.WriteString("\nServices\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  service\toutage min (baseline → proposal)\tfailed requests (baseline → proposal)\n")
	for _, s := range c.Services {
		fmt.Fprintf(tw, "  %s\t%s → %s\t%.0f → %.0f\n", s.Service, minutes(s.BaselineDown), minutes(s.ProposalDown), s.BaselineFailed, s.ProposalFail)
	}
	bd, pd, bf, pf := c.Totals()
	fmt.Fprintf(tw, "  total\t%s → %s\t%.0f → %.0f\n", minutes(bd), minutes(pd), bf, pf)
	tw.Flush()
	writeRevocationText(&b, c)

	_, err := io.WriteString(w, sim.TrimLines(b.String()))
	return err
}

func orUnset(v string) string {
	if v == "" {
		return "(unset)"
	}
	return v
}

func orDash(v string) string {
	if v == "" {
		return "—"
	}
	return v
}

func cliffCell(s Side, c *sim.Cliff) string {
	if c == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%s, issue + %s; %d in use)", sim.Clock{Start: s.Scenario.Start}.Date(c.At), sim.FormatOffset(c.At), sim.FormatDays(c.Lifetime), c.Size())
}

func hardEndCell(s Side, h HardEnd) string {
	if !h.Set {
		return "none: nothing it defines has a hard end"
	}
	return fmt.Sprintf("%s %s (%s, %s) ← %s", h.Entity, sim.Clock{Start: s.Scenario.Start}.Date(h.At), sim.FormatOffset(h.At), sim.SinceIssue(h.At.Sub(h.Issued)), h.By)
}

type jsonDoc struct {
	Baseline            jsonSide      `json:"baseline"`
	Proposal            jsonSide      `json:"proposal"`
	Settings            []jsonSetting `json:"settings"`
	Verdict             string        `json:"verdict"`
	Summary             string        `json:"summary"`
	Better              bool          `json:"better"`
	CliffsRemoved       int           `json:"cliffs_removed"`
	CliffsAdded         int           `json:"cliffs_added"`
	CliffsMoved         int           `json:"cliffs_moved"`
	Cliffs              []jsonCliff   `json:"cliffs"`
	Services            []jsonService `json:"services"`
	OutageSecondsSaved  int64         `json:"outage_seconds_saved"`
	FailedRequestsSaved float64       `json:"failed_requests_saved"`
	// Revocation appears when a side modelled the expiration manager.
	Revocation []jsonRevocation `json:"revocation,omitempty"`
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
	// The same for credentials.
	EarliestCredentialHardEnd   *string `json:"earliest_credential_hard_end"`
	EarliestCredentialHardEndBy *string `json:"earliest_credential_hard_end_bound_by"`
	EarliestCredentialEntity    *string `json:"earliest_credential_hard_end_entity"`
}

type jsonSetting struct {
	Path string  `json:"path"`
	Old  *string `json:"old"`
	New  *string `json:"new"`
}

type jsonCliff struct {
	Change     string  `json:"change"`
	Actor      string  `json:"actor"`
	Cause      string  `json:"cause"`
	BoundBy    string  `json:"bound_by"`
	Set        string  `json:"set,omitempty"`
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
		Baseline: side(c.Baseline, c.BaselineEarliest, c.BaselineEarliestCredential, bd, bf),
		Proposal: side(c.Proposal, c.ProposalEarliest, c.ProposalEarliestCredential, pd, pf),
		Verdict:  c.Kind(), Summary: c.Verdict(), Better: c.Kind() == Better,
		CliffsRemoved: c.Count("removed"), CliffsAdded: c.Count("added"), CliffsMoved: c.Count("moved"),
		Settings: []jsonSetting{}, Cliffs: []jsonCliff{}, Services: []jsonService{},
		OutageSecondsSaved: int64(bd - pd), FailedRequestsSaved: bf - pf,
	}
	for _, s := range c.Settings {
		j := jsonSetting{Path: s.Path}
		if s.Old != "" {
			j.Old = ptr(s.Old)
		}
		if s.New != "" {
			j.New = ptr(s.New)
		}
		doc.Settings = append(doc.Settings, j)
	}
	for _, ch := range c.Cliffs {
		j := jsonCliff{Change: ch.Change, Actor: ch.Actor, Cause: ch.Cause.String(), BoundBy: ch.By, Set: ch.Set}
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
	doc.Revocation = revocationJSON(c)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func side(s Side, h, cred HardEnd, down model.Duration, failed float64) jsonSide {
	j := jsonSide{Label: s.Label, Scenario: s.Scenario.Name, Seed: s.Result.Seed, Cliffs: len(s.Result.Cliffs),
		OutageSeconds: down.Seconds(), FailedRequests: failed}
	if h.Set {
		j.EarliestHardEnd = ptr(sim.Clock{Start: s.Scenario.Start}.RFC3339(h.At))
		j.EarliestHardEndBy = ptr(h.By.String())
		j.EarliestHardEntity = ptr(h.Entity)
	}
	if cred.Set {
		j.EarliestCredentialHardEnd = ptr(sim.Clock{Start: s.Scenario.Start}.RFC3339(cred.At))
		j.EarliestCredentialHardEndBy = ptr(cred.By.String())
		j.EarliestCredentialEntity = ptr(cred.Entity)
	}
	return j
}

func ptr[T any](v T) *T { return &v }
