package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Clock renders virtual instants as dates in the scenario's zone.
type Clock struct{ Start time.Time }

// Time is the wall-clock date of a virtual instant, in the scenario's zone.
func (c Clock) Time(t model.Instant) time.Time {
	return c.Start.Add(time.Duration(t) * time.Second)
}

// Date formats an instant for people: "2024-01-15 10:54 -07:00".
func (c Clock) Date(t model.Instant) string {
	return c.Time(t).Format("2006-01-02 15:04 -07:00")
}

// RFC3339 formats an instant for machines.
func (c Clock) RFC3339(t model.Instant) string { return c.Time(t).Format(time.RFC3339) }

// WriteExplainText writes the explanations for people.
func WriteExplainText(w io.Writer, s *scenarios.Scenario, exps []Explanation) error {
	c := Clock{s.Start}
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s\n", s.Name, strings.TrimSpace(s.Description))
	fmt.Fprintf(&b, "start %s · server default_lease_ttl %s, max_lease_ttl %s%s\n",
		c.Date(0), orSystem(s.Backend.System.DefaultLeaseTTL), orSystem(s.Backend.System.MaxLeaseTTL), builtIn(s.Backend.System))
	for i := range exps {
		e := &exps[i]
		b.WriteString("\n")
		fmt.Fprintf(&b, "%s  %s%s · %s · %s\n", e.ID, e.Kind, replicas(e.Replicas), e.Origin, traits(e))
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  issued\t%s (%s)\n", c.Date(e.IssuedAt), FormatOffset(e.IssuedAt))
		fmt.Fprintf(tw, "  ttl\t%s\t← %s\n", e.Grant.TTL, e.Grant.TTLBy)
		life := e.Life
		switch {
		case !life.End.Set && !life.Exact:
			fmt.Fprintf(tw, "  hard end\tnot before %s\t← depends on when its holder renews, or on a later parent token\n", FormatOffset(life.Earliest))
		case !life.End.Set:
			fmt.Fprintf(tw, "  hard end\tnone\n")
		case !life.Exact:
			fmt.Fprintf(tw, "  hard end\t%s (%s) at the latest\t← %s; from %s on, depending on when its holder renews\n",
				c.Date(life.End.At), FormatOffset(life.End.At), life.End.By, FormatOffset(life.Earliest))
		case !life.HardEnd:
			fmt.Fprintf(tw, "  expires\t%s (%s) = %s\t← %s (its TTL runs out)\n", c.Date(life.End.At), FormatOffset(life.End.At),
				SinceIssue(life.End.At.Sub(e.IssuedAt)), life.End.By)
		default:
			fmt.Fprintf(tw, "  hard end\t%s (%s) = %s\t← %s\n", c.Date(life.End.At), FormatOffset(life.End.At),
				SinceIssue(life.End.At.Sub(e.IssuedAt)), life.End.By)
		}
		if e.Effective.Set && e.Effective.By.Kind == model.LayerAncestor {
			fmt.Fprintf(tw, "  ends\t%s (%s)\t← %s\n", c.Date(e.Effective.At), FormatOffset(e.Effective.At), e.Effective.By)
		}
		tw.Flush()
		if len(e.Changes) > 0 {
			b.WriteString("  changes\n")
			for _, ch := range e.Changes {
				fmt.Fprintf(&b, "    %s\n", ch.Text)
			}
		}
		b.WriteString("  layers\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, l := range e.Layers {
			v := "—"
			if l.Set {
				v = l.Value.String()
			}
			bind := ""
			if l.Binding != "" {
				bind = "binds " + l.Binding
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", l.Layer, v, bind, l.Note)
		}
		tw.Flush()
		if binding := bindingSettings(s, e); len(binding) > 0 {
			b.WriteString("  change it with\n")
			tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			for _, l := range binding {
				set, v := e.Setting(s, l.Layer), layerValue(l)
				fmt.Fprintf(tw, "    %s\t%s\t%s\n", l.Layer, set.SetArg(v), set.Vault(v))
			}
			tw.Flush()
		}
		b.WriteString("  why\n")
		for _, s := range e.Because {
			fmt.Fprintf(&b, "    %s\n", s)
		}
		if ws := e.AllWarnings(); len(ws) == 0 {
			b.WriteString("  warnings  none\n")
		} else {
			b.WriteString("  warnings\n")
			for _, s := range ws {
				fmt.Fprintf(&b, "    %s\n", s)
			}
		}
	}
	// tabwriter pads the last column; trailing spaces only add diff noise.
	_, err := io.WriteString(w, TrimLines(b.String()))
	return err
}

// bindingSettings are the layers that bind something and that a setting
// decides: the ones to change, each printed with its --set path and Vault
// call.
func bindingSettings(s *scenarios.Scenario, e *Explanation) []LayerValue {
	var out []LayerValue
	for _, l := range e.Layers {
		if l.Binding != BindsNothing && e.Setting(s, l.Layer).Path != "" {
			out = append(out, l)
		}
	}
	return out
}

// layerValue is the layer's value as a --set or vault write value: what
// it is now, or "…" when unset.
func layerValue(l LayerValue) string {
	if l.Set {
		return l.Value.String()
	}
	return "…"
}

func builtIn(sys model.System) string {
	if sys.DefaultLeaseTTL == 0 && sys.MaxLeaseTTL == 0 {
		return " (built-in defaults)"
	}
	return ""
}

func replicas(n int) string {
	if n > 1 {
		return fmt.Sprintf(" ×%d", n)
	}
	return ""
}

func traits(e *Explanation) string {
	var t []string
	if e.Kind != KindLease {
		t = append(t, e.Type.String())
		if e.Orphan {
			t = append(t, "orphan")
		}
	}
	if e.Renewable {
		t = append(t, "renewable")
	} else {
		t = append(t, "not renewable")
	}
	return strings.Join(t, ", ")
}

// ExplainJSONVersion is the version of the explain JSON schema (docs/explain.md).
const ExplainJSONVersion = 1

type explainDoc struct {
	Version  int            `json:"version"`
	Scenario string         `json:"scenario"`
	Start    string         `json:"start"`
	Entities []explainEntry `json:"entities"`
}

type explainEntry struct {
	ID                  string       `json:"id"`
	Kind                EntityKind   `json:"kind"`
	Actor               string       `json:"actor"`
	Parent              *string      `json:"parent"`
	Replicas            int          `json:"replicas"`
	Origin              string       `json:"origin"`
	Type                string       `json:"type,omitempty"`
	Orphan              bool         `json:"orphan"`
	Renewable           bool         `json:"renewable"`
	IssuedAt            string       `json:"issued_at"`
	TTLSeconds          int64        `json:"ttl_seconds"`
	TTLBoundBy          string       `json:"ttl_bound_by"`
	MaxTTLSeconds       *int64       `json:"max_ttl_seconds"`
	MaxBoundBy          *string      `json:"max_bound_by"`
	HardEnd             *string      `json:"hard_end"`
	HardEndOffset       *int64       `json:"hard_end_offset_seconds"`
	Renewed             bool         `json:"renewed"`
	EndCause            string       `json:"end_cause"`
	EndExact            bool         `json:"end_exact"`
	EarliestEnd         *string      `json:"earliest_end"`
	Changes             []changeJSON `json:"changes"`
	EffectiveEnd        *string      `json:"effective_end"`
	EffectiveEndBoundBy *string      `json:"effective_end_bound_by"`
	Layers              []layerJSON  `json:"layers"`
	Warnings            []string     `json:"warnings"`
	Because             []string     `json:"because"`
	Dependents          []string     `json:"dependents"`
}

type changeJSON struct {
	At             string  `json:"at"`
	Text           string  `json:"text"`
	HardEnd        *string `json:"hard_end"`
	HardEndBoundBy *string `json:"hard_end_bound_by"`
	Refused        *string `json:"refused"`
}

type layerJSON struct {
	Layer        string `json:"layer"`
	ValueSeconds *int64 `json:"value_seconds"`
	Binding      string `json:"binding"`
	Note         string `json:"note,omitempty"`
	Set          string `json:"set,omitempty"`   // the --set path that changes it
	Vault        string `json:"vault,omitempty"` // the Vault call that sets it
}

// WriteExplainJSON writes the explanations as one JSON document.
func WriteExplainJSON(w io.Writer, s *scenarios.Scenario, exps []Explanation) error {
	c := Clock{s.Start}
	doc := explainDoc{Version: ExplainJSONVersion, Scenario: s.Name, Start: c.RFC3339(0), Entities: []explainEntry{}}
	for i := range exps {
		e := &exps[i]
		j := explainEntry{
			ID: e.ID, Kind: e.Kind, Actor: e.Actor, Replicas: e.Replicas, Origin: e.Origin,
			Orphan: e.Orphan, Renewable: e.Renewable, IssuedAt: c.RFC3339(e.IssuedAt),
			TTLSeconds: e.Grant.TTL.Seconds(), TTLBoundBy: e.Grant.TTLBy.String(),
			Warnings: nonNil(e.AllWarnings()), Because: nonNil(e.Because), Dependents: nonNil(e.Dependents),
		}
		if e.Kind != KindLease {
			j.Type = e.Type.String()
		}
		if e.Parent != "" {
			j.Parent = ptr(e.Parent)
		}
		life := e.Life
		j.Renewed, j.EndCause, j.EndExact, j.Changes = e.Renewed, endCause(life), life.Exact, []changeJSON{}
		if life.End.Set {
			j.MaxTTLSeconds = ptr(life.End.At.Sub(e.IssuedAt).Seconds())
			j.MaxBoundBy = ptr(life.End.By.String())
			j.HardEnd = ptr(c.RFC3339(life.End.At))
			j.HardEndOffset = ptr(int64(life.End.At))
			if !life.Exact {
				j.EarliestEnd = ptr(c.RFC3339(life.Earliest))
			}
		}
		for _, ch := range e.Changes {
			cj := changeJSON{At: c.RFC3339(ch.At), Text: ch.Text}
			if ch.Err != nil {
				cj.Refused = ptr(ch.Err.Error())
			} else if ch.End.Set {
				cj.HardEnd, cj.HardEndBoundBy = ptr(c.RFC3339(ch.End.At)), ptr(ch.End.By.String())
			}
			j.Changes = append(j.Changes, cj)
		}
		if e.Effective.Set {
			j.EffectiveEnd = ptr(c.RFC3339(e.Effective.At))
			j.EffectiveEndBoundBy = ptr(e.Effective.By.String())
		}
		for _, l := range e.Layers {
			set := e.Setting(s, l.Layer)
			lj := layerJSON{Layer: l.Layer.String(), Binding: l.Binding, Note: l.Note, Set: set.Path, Vault: set.Vault(layerValue(l))}
			if l.Set {
				lj.ValueSeconds = ptr(l.Value.Seconds())
			}
			j.Layers = append(j.Layers, lj)
		}
		doc.Entities = append(doc.Entities, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func ptr[T any](v T) *T { return &v }

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// endCause names how an entity ends by its own layers, in the run's
// words: "max-ttl" (a hard end), "expired" (a TTL runs out), "never".
func endCause(l model.Life) string {
	switch {
	case !l.End.Set && !l.Exact:
		return "unknown"
	case !l.End.Set:
		return "never"
	case l.HardEnd:
		return MaxTTL.String()
	}
	return Expired.String()
}
