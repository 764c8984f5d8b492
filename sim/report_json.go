package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/leasesim/leasesim/model"
)

// ReportVersion is the version of report.json and events.jsonl
// (docs/run-report.md). Bump it on any incompatible change.
const ReportVersion = 1

// reportHead is report.json up to its entities: the parts bounded by the
// scenario, written whole. The entities follow, streamed one by one.
type reportHead struct {
	Version        int           `json:"version"`
	Scenario       string        `json:"scenario"`
	ScenarioSHA256 string        `json:"scenario_sha256"`
	Tool           string        `json:"leasesim_version"`
	Seed           uint64        `json:"seed"`
	Start          string        `json:"start"`
	HorizonSeconds int64         `json:"horizon_seconds"`
	Outcome        string        `json:"outcome"`
	Events         int64         `json:"events"`
	Headline       string        `json:"headline"`
	Notes          []string      `json:"notes"`
	Cliffs         []cliffJSON   `json:"cliffs"`
	Outages        []outageJSON  `json:"outages"`
	Impacts        []impactJSON  `json:"impact_windows"`
	Services       []serviceJSON `json:"services"`
}

type cliffJSON struct {
	At              string   `json:"at"`
	OffsetSeconds   int64    `json:"offset_seconds"`
	Root            string   `json:"root"`
	Roots           []string `json:"roots"`
	RootsTotal      int      `json:"roots_total,omitempty"` // a folded report lists the first roots only
	Cause           string   `json:"cause"`
	BoundBy         string   `json:"bound_by"`
	Set             string   `json:"set,omitempty"` // the --set path of bound_by (sim.LayerSetting)
	LifetimeSeconds int64    `json:"lifetime_seconds"`
	TokensRevoked   int      `json:"tokens_revoked"`
	LeasesRevoked   int      `json:"leases_revoked"`
	RetiredRevoked  int      `json:"replaced_revoked"`
	Services        []string `json:"services"`
}

type outageJSON struct {
	Service         string  `json:"service"`
	From            string  `json:"from"`
	To              string  `json:"to"`
	FromOffset      int64   `json:"from_offset_seconds"`
	ToOffset        int64   `json:"to_offset_seconds"`
	RecoverySeconds int64   `json:"recovery_seconds"`
	Ongoing         bool    `json:"ongoing"`
	FailedRequests  float64 `json:"failed_requests"`
	PeakReplicas    int     `json:"peak_replicas_down"`
	Replicas        int     `json:"replicas"`
}

type impactJSON struct {
	From           string   `json:"from"`
	To             string   `json:"to"`
	Ongoing        bool     `json:"ongoing"`
	Services       []string `json:"services"`
	FailedRequests float64  `json:"failed_requests"`
}

type serviceJSON struct {
	Service        string  `json:"service"`
	Replicas       int     `json:"replicas"`
	Demand         float64 `json:"demand_per_second"`
	FailedRequests float64 `json:"failed_requests"`
	DownSeconds    int64   `json:"down_seconds"`
	Outages        int     `json:"outages"`
}

type entityJSON struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Actor      string   `json:"actor"`
	Parent     *string  `json:"parent"`
	IssuedAt   string   `json:"issued_at"`
	EndedAt    *string  `json:"ended_at"`
	EndCause   string   `json:"end_cause"`
	BoundBy    *string  `json:"bound_by"`
	Root       *string  `json:"cascade_root,omitempty"`
	ReplacedAt *string  `json:"replaced_at"`
	HardEnd    *string  `json:"hard_end"`
	Capped     *capJSON `json:"first_capped_renewal,omitempty"`
	// ListedFor says why a folded report lists it (absent when every
	// entity is listed).
	ListedFor []string `json:"listed_for,omitempty"`
}

// capJSON is an entity's first renewal cut short by its hard end.
type capJSON struct {
	At                   string   `json:"at"`
	OffsetSeconds        int64    `json:"offset_seconds"`
	BeforeHardEndSeconds int64    `json:"before_hard_end_seconds"`
	Warnings             []string `json:"warnings"`
}

// WriteReportJSON writes report.json, its entities listed as l says. It
// streams: the entities are encoded one at a time, never the whole
// document at once, so writing costs no memory in proportion to the run.
// The bytes are those json.Encoder with a two-space indent would write.
func WriteReportJSON(w io.Writer, r *Result, l EntityListing) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	folded := l.Folds(r.NumEntities())
	doc := reportHeadOf(r)
	if folded {
		for i := range doc.Cliffs {
			if c, n := &doc.Cliffs[i], r.Cliffs[i].NumRoots(); n > cliffRootsListed {
				c.RootsTotal, c.Roots = n, c.Roots[:cliffRootsListed]
			}
		}
	}
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	bw.Write(head[:len(head)-len("\n}")])
	var listed []listedEntity
	if folded {
		listed = listedIndividually(r)
		for _, f := range []struct {
			name string
			v    any
		}{{"entities_folded", true}, {"entities_total", r.NumEntities()}, {"entity_groups", foldGroups(r)}} {
			if err := writeField(bw, f.name, f.v); err != nil {
				return err
			}
		}
	} else if r.Recycled() > 0 {
		return fmt.Errorf("report.json: the run recycled %d of its %d entities (Options.Recycle), so it can only list them folded", r.Recycled(), r.NumEntities())
	}
	bw.WriteString(",\n  \"entities\": [")
	entity := func(k int, f *Fate, why []string) error {
		ej := entityJSONOf(r, f)
		ej.ListedFor = why
		b, err := json.MarshalIndent(ej, "    ", "  ")
		if err != nil {
			return err
		}
		if k > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
		return nil
	}
	n := len(listed)
	if folded {
		for k := range listed {
			l := &listed[k]
			f := l.fate
			if f == nil {
				fate := r.Fate(int(l.n))
				f = &fate
			}
			if err := entity(k, f, l.why); err != nil {
				return err
			}
		}
	} else {
		// Every entity, in issue order: nothing was recycled.
		n = len(r.kept)
		for k, i := range r.kept {
			f := r.Fate(int(i))
			if err := entity(k, &f, nil); err != nil {
				return err
			}
		}
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteByte(']')
	if rev := revocationDoc(r); rev != nil {
		if err := writeField(bw, "revocation", rev); err != nil {
			return err
		}
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// writeField writes one more top-level field of an indented object whose
// earlier fields are written. Write errors stick in w and surface at its
// Flush.
func writeField(w *bufio.Writer, name string, v any) error {
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return fmt.Errorf("report.json %s: %w", name, err)
	}
	fmt.Fprintf(w, ",\n  %q: ", name)
	_, err = w.Write(b)
	return err
}

func reportHeadOf(r *Result) reportHead {
	c := Clock{r.Scenario.Start}
	doc := reportHead{
		Version: ReportVersion, Scenario: r.Scenario.Name, ScenarioSHA256: r.Scenario.SHA256, Tool: Version, Seed: r.Seed, Start: c.RFC3339(0),
		HorizonSeconds: int64(r.Horizon), Outcome: r.Outcome.String(), Events: r.Events, Headline: r.Headline(),
		Notes: nonNil(r.Notes), Cliffs: []cliffJSON{}, Outages: []outageJSON{}, Impacts: []impactJSON{}, Services: []serviceJSON{},
	}
	doc.Cliffs = append(doc.Cliffs, cliffsJSON(r)...)
	for _, o := range r.Outages {
		doc.Outages = append(doc.Outages, outageJSON{Service: o.Service, From: c.RFC3339(o.From), To: c.RFC3339(o.To),
			FromOffset: int64(o.From), ToOffset: int64(o.To), RecoverySeconds: o.Duration().Seconds(), Ongoing: o.Ongoing,
			FailedRequests: round3(o.FailedRequests), PeakReplicas: o.PeakFailing, Replicas: o.Replicas})
	}
	for _, w := range r.Impacts {
		doc.Impacts = append(doc.Impacts, impactJSON{From: c.RFC3339(w.From), To: c.RFC3339(w.To), Ongoing: w.Ongoing,
			Services: w.Services, FailedRequests: round3(w.FailedRequests)})
	}
	for _, s := range r.Services {
		doc.Services = append(doc.Services, serviceJSON{Service: s.Name, Replicas: s.Replicas, Demand: s.Demand,
			FailedRequests: round3(s.FailedRequests), DownSeconds: s.Down.Seconds(), Outages: s.Outages})
	}
	return doc
}

func entityJSONOf(r *Result, f *Fate) entityJSON {
	c := Clock{r.Scenario.Start}
	ej := entityJSON{ID: f.ID, Kind: string(f.Kind), Actor: f.Actor, IssuedAt: c.RFC3339(f.IssuedAt), EndCause: f.Cause.String()}
	if f.Parent != "" {
		ej.Parent = ptr(f.Parent)
	}
	if f.Ended {
		ej.EndedAt = ptr(c.RFC3339(f.EndedAt))
		if f.Cause != Revoked {
			ej.BoundBy = ptr(f.BoundBy.String())
		}
	}
	if f.Root != "" {
		ej.Root = ptr(f.Root)
	}
	if f.Replaced {
		ej.ReplacedAt = ptr(c.RFC3339(f.ReplacedAt))
	}
	if f.HardEnd.Set {
		ej.HardEnd = ptr(c.RFC3339(f.HardEnd.At))
	}
	if fc := f.FirstCapped; fc != nil {
		cj := capOf(c, fc)
		ej.Capped = &cj
	}
	return ej
}

func capOf(c Clock, fc *CappedRenewal) capJSON {
	return capJSON{At: c.RFC3339(fc.At), OffsetSeconds: int64(fc.At), BeforeHardEndSeconds: fc.Before().Seconds(),
		Warnings: fc.Warnings.Messages()}
}

func cliffsJSON(r *Result) []cliffJSON {
	c := Clock{r.Scenario.Start}
	var out []cliffJSON
	for i := range r.Cliffs {
		f := &r.Cliffs[i]
		cj := cliffJSON{At: c.RFC3339(f.At), OffsetSeconds: int64(f.At), Root: r.EntityID(f.Roots[0]), Cause: f.Cause.String(),
			BoundBy: f.BoundByName(), Set: LayerSetting(r.Scenario, f.BoundBy, r.Facts(int(f.Roots[0])).Actor).Path, LifetimeSeconds: f.Lifetime.Seconds(), TokensRevoked: f.Tokens, LeasesRevoked: f.Leases,
			RetiredRevoked: f.Retired, Services: []string{}}
		for _, n := range f.Roots {
			cj.Roots = append(cj.Roots, r.EntityID(n))
		}
		cj.Roots = append(cj.Roots, f.restRoots...)
		for _, s := range f.Services {
			cj.Services = append(cj.Services, r.Services[s].Name)
		}
		out = append(out, cj)
	}
	return out
}

// round3 keeps failed-request totals readable and stable across platforms.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

type eventJSON struct {
	Offset     int64    `json:"t"`
	Time       string   `json:"time"`
	Kind       string   `json:"kind"`
	Entity     *string  `json:"entity"`
	EntityKind string   `json:"entity_kind,omitempty"`
	Parent     *string  `json:"parent"`
	Actor      string   `json:"actor,omitempty"`
	Cause      string   `json:"cause,omitempty"`
	BoundBy    string   `json:"bound_by,omitempty"`
	Root       string   `json:"root,omitempty"`
	TTL        *int64   `json:"ttl,omitempty"`
	Expire     *int64   `json:"expire_t,omitempty"`
	HardEnd    *int64   `json:"hard_end_t,omitempty"`
	Failing    *int32   `json:"failing,omitempty"`
	Replicas   int      `json:"replicas,omitempty"`
	Error      string   `json:"error,omitempty"`
	Note       string   `json:"note,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

// EventsHeader is the first line of events.jsonl: what a reader needs to
// draw the run without the scenario file.
type EventsHeader struct {
	Version        int                `json:"version"`
	Scenario       string             `json:"scenario"`
	Description    string             `json:"description"`
	Seed           uint64             `json:"seed"`
	Start          string             `json:"start"`
	HorizonSeconds int64              `json:"horizon_seconds"`
	Services       []EventsService    `json:"services"`
	Annotations    []EventsAnnotation `json:"annotations"`
}

// EventsService describes one service in the header.
type EventsService struct {
	Service  string  `json:"service"`
	Replicas int     `json:"replicas"`
	Demand   float64 `json:"demand_per_second"`
}

// EventsAnnotation is one labelled instant of the scenario's timeline.
type EventsAnnotation struct {
	Offset int64  `json:"t"`
	Time   string `json:"time"`
	Label  string `json:"label"`
}

// WriteEventsJSONL writes events.jsonl: a header line, one JSON object per
// event in the order the engine processed them, then one "cliff" line per
// cliff. The run must have recorded its log (Options.RecordLog); a run
// that streamed its log (Options.LogTo) wrote these same lines as it went.
func WriteEventsJSONL(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	ew := newEventsWriter(bw, r.engine)
	if err := ew.header(r.Horizon); err != nil {
		return err
	}
	for _, ev := range r.Log {
		if err := ew.event(ev); err != nil {
			return err
		}
	}
	if err := ew.cliffs(r); err != nil {
		return err
	}
	return bw.Flush()
}

// eventsWriter encodes the lines of events.jsonl, from a finished run's
// recorded log or from a run in progress.
type eventsWriter struct {
	e   *Engine
	w   io.Writer
	enc *json.Encoder
	c   Clock
}

func newEventsWriter(w io.Writer, e *Engine) *eventsWriter {
	return &eventsWriter{e: e, w: w, enc: json.NewEncoder(w), c: Clock{e.s.Start}}
}

// header writes the first line; it needs only what New set up and the
// horizon the run reached (a run stopped by a budget ends early).
func (w *eventsWriter) header(horizon model.Instant) error {
	e, c := w.e, w.c
	h := EventsHeader{Version: ReportVersion, Scenario: e.s.Name, Description: e.s.Description, Seed: e.seed,
		Start: c.RFC3339(0), HorizonSeconds: int64(horizon), Services: []EventsService{}, Annotations: []EventsAnnotation{}}
	for i := range e.services {
		a := e.actors[e.services[i].actor].a
		h.Services = append(h.Services, EventsService{Service: a.Name, Replicas: e.services[i].replicas, Demand: a.Demand})
	}
	for _, a := range e.s.Annotations {
		h.Annotations = append(h.Annotations, EventsAnnotation{Offset: int64(a.At), Time: c.RFC3339(a.At), Label: a.Label})
	}
	return w.enc.Encode(h)
}

// event writes one event's line.
func (w *eventsWriter) event(ev LogEvent) error {
	e, c := w.e, w.c
	j := eventJSON{Offset: int64(ev.At), Time: c.RFC3339(ev.At), Kind: ev.Kind.String(), Error: ev.Err, Note: ev.Note}
	if ev.Kind != LogScript && ev.Kind != LogOutageEnd {
		j.Actor = e.s.Actors[ev.Actor].Name
	}
	if ev.Entity != model.None {
		en := &e.ents[ev.Entity]
		j.Entity = ptr(e.EntityID(ev.Entity))
		j.EntityKind = string(en.kind.EntityKind())
		if p := e.parentOf(ev.Entity); p != model.None {
			j.Parent = ptr(e.EntityID(p))
		}
		if ev.Kind == LogIssue || ev.Kind == LogRenew || ev.Kind == LogEnd {
			j.TTL = ptr(ev.TTL.Seconds())
			if !ev.NoExpiry {
				j.Expire = ptr(int64(ev.Expire))
			}
			if ev.HasHardEnd {
				j.HardEnd = ptr(int64(ev.HardEnd))
			}
			j.Warnings = ev.Warnings.Messages()
		}
	}
	if ev.Kind == LogEnd {
		j.Cause = ev.Cause.String()
		if ev.Root != ev.Entity {
			j.Root = e.EntityID(ev.Root)
		}
	}
	if ev.Kind == LogService {
		j.Failing = ptr(ev.Failing)
		j.Replicas = len(e.actors[ev.Actor].reps)
	}
	if ev.By.Kind != model.LayerNone {
		j.BoundBy = ev.By.String()
	}
	return w.enc.Encode(j)
}

// cliffs writes the closing lines, known only when the run is over: the
// cliffs, then the expiration manager's work per second.
func (w *eventsWriter) cliffs(r *Result) error {
	for _, cj := range cliffsJSON(r) {
		line := struct {
			Kind string `json:"kind"`
			cliffJSON
		}{"cliff", cj}
		if err := w.enc.Encode(line); err != nil {
			return err
		}
	}
	if sp := w.e.rev.spilled(); sp != nil {
		return sp.copyTo(w.w)
	}
	return writeRevocationEvents(w.enc, r)
}
