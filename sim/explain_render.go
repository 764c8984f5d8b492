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
		if e.Grant.HasHardEnd {
			fmt.Fprintf(tw, "  hard end\t%s (%s) = issue + %s\t← %s\n", c.Date(e.Grant.HardEnd), FormatOffset(e.Grant.HardEnd),
				e.Grant.HardEnd.Sub(e.IssuedAt), e.Grant.HardEndBy)
		} else {
			fmt.Fprintf(tw, "  hard end\tnone\n")
		}
		if e.Effective.Set && e.Effective.By.Kind == model.LayerAncestor {
			fmt.Fprintf(tw, "  ends\t%s (%s)\t← %s\n", c.Date(e.Effective.At), FormatOffset(e.Effective.At), e.Effective.By)
		}
		tw.Flush()
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
		b.WriteString("  why\n")
		for _, s := range e.Because {
			fmt.Fprintf(&b, "    %s\n", s)
		}
		if len(e.Warnings) == 0 {
			b.WriteString("  warnings  none\n")
		} else {
			b.WriteString("  warnings\n")
			for _, s := range e.Warnings {
				fmt.Fprintf(&b, "    %s\n", s)
			}
		}
	}
	// tabwriter pads the last column; trailing spaces only add diff noise.
	_, err := io.WriteString(w, TrimLines(b.String()))
	return err
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
	ID                  string      `json:"id"`
	Kind                EntityKind  `json:"kind"`
	Actor               string      `json:"actor"`
	Parent              *string     `json:"parent"`
	Replicas            int         `json:"replicas"`
	Origin              string      `json:"origin"`
	Type                string      `json:"type,omitempty"`
	Orphan              bool        `json:"orphan"`
	Renewable           bool        `json:"renewable"`
	IssuedAt            string      `json:"issued_at"`
	TTLSeconds          int64       `json:"ttl_seconds"`
	TTLBoundBy          string      `json:"ttl_bound_by"`
	MaxTTLSeconds       *int64      `json:"max_ttl_seconds"`
	MaxBoundBy          *string     `json:"max_bound_by"`
	HardEnd             *string     `json:"hard_end"`
	HardEndOffset       *int64      `json:"hard_end_offset_seconds"`
	EffectiveEnd        *string     `json:"effective_end"`
	EffectiveEndBoundBy *string     `json:"effective_end_bound_by"`
	Layers              []layerJSON `json:"layers"`
	Warnings            []string    `json:"warnings"`
	Because             []string    `json:"because"`
	Dependents          []string    `json:"dependents"`
}

type layerJSON struct {
	Layer        string `json:"layer"`
	ValueSeconds *int64 `json:"value_seconds"`
	Binding      string `json:"binding"`
	Note         string `json:"note,omitempty"`
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
			Warnings: nonNil(e.Warnings), Because: nonNil(e.Because), Dependents: nonNil(e.Dependents),
		}
		if e.Kind != KindLease {
			j.Type = e.Type.String()
		}
		if e.Parent != "" {
			j.Parent = ptr(e.Parent)
		}
		if e.Grant.HasHardEnd {
			j.MaxTTLSeconds = ptr(e.Grant.HardEnd.Sub(e.IssuedAt).Seconds())
			j.MaxBoundBy = ptr(e.Grant.HardEndBy.String())
			j.HardEnd = ptr(c.RFC3339(e.Grant.HardEnd))
			j.HardEndOffset = ptr(int64(e.Grant.HardEnd))
		}
		if e.Effective.Set {
			j.EffectiveEnd = ptr(c.RFC3339(e.Effective.At))
			j.EffectiveEndBoundBy = ptr(e.Effective.By.String())
		}
		for _, l := range e.Layers {
			lj := layerJSON{Layer: l.Layer.String(), Binding: l.Binding, Note: l.Note}
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
