package plots

import (
	"fmt"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Timeline draws the expiry timeline: one lane per token and credential
// (per replica, or per actor above the aggregation threshold), grouped and
// indented by hierarchy, each generation a bar from issue to end coloured
// by how it ended; every token's hard end marked; a line at each cliff
// labelled with the layer that set it; the scenario's annotations
// numbered, their text beside the chart.
func Timeline(r *Run, opts TimelineOptions) (*plot.Plot, error) {
	lanes, w, err := TimelineLanes(r, opts)
	if err != nil {
		return nil, err
	}
	if len(lanes) == 0 {
		return nil, fmt.Errorf("plots: nothing was alive between %s and %s", r.stamp(w.From), r.stamp(w.To))
	}
	_, why, _ := r.window(opts.Window)
	p := newPlot("")
	timeAxis(p, r, w)
	p.HideY()
	// A few lanes stay lane-sized at the top rather than stretching.
	p.Y.Min, p.Y.Max = float64(len(lanes)-max(len(lanes), minLaneRows))-0.5, float64(len(lanes))-0.5
	p.Y.Padding, p.X.Padding = 0, 0

	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = gridGrey
	lp := &lanesPlotter{lanes: lanes}
	p.Add(grid, lp)

	panel := &sidePanel{}
	panel.items = append(panel.items, legendItem{kind: itemHeading, text: "Each bar: a token or credential, issue to end"})
	present := make([]bool, numBarStyles)
	for _, l := range lanes {
		for _, b := range l.Bars {
			present[b.Style] = true
		}
	}
	for _, s := range []BarStyle{HardEnd, Cascade, Operator, Expired, Replaced, Idle, Alive} {
		if present[s] {
			panel.items = append(panel.items, legendItem{kind: itemBar, bar: s, text: s.Describe()})
		}
	}
	panel.items = append(panel.items, legendItem{kind: itemGlyph, glyph: draw.GlyphStyle{Shape: hardEndThumb{}, Radius: vg.Points(5)},
		text: "a token's hard end: issue + its effective max TTL"})
	for _, note := range laneNotes(lanes, effectiveAggregate(r, opts)) {
		panel.items = append(panel.items, legendItem{kind: itemNote, text: note})
	}
	hdr := &header{title: TimelineTitle(r), subtitle: subtitle(r, why)}
	addMarkers(r, w.contains, hdr, panel, lp.labelWidth())
	hdr.panel = panel
	p.Add(hdr, panel)
	return p, nil
}

// minLaneRows: the timeline is laid out for at least this many lanes, so
// that a short one keeps bars of a readable height (about 26 points at
// slide size) instead of stretching them.
const minLaneRows = 16

// laneNotes explain aggregated and merged lanes.
func laneNotes(lanes []Lane, threshold int) []string {
	var agg []string
	merged, orphans := false, false
	for _, l := range lanes {
		orphans = orphans || l.Orphan
		if l.Replicas > 1 {
			agg = append(agg, l.Label)
		} else if l.Merged {
			merged = true
		}
	}
	var notes []string
	if len(agg) > 0 {
		if len(agg) > 4 {
			agg = append(agg[:3], fmt.Sprintf("and %d more", len(agg)-3))
		}
		notes = append(notes, fmt.Sprintf("“×N”: the N replicas of an actor with more than %d share one lane (%s)", threshold, strings.Join(agg, ", ")))
	}
	if merged {
		notes = append(notes, fmt.Sprintf("lanes with more than %d generations in view join touching bars of one colour", maxBarsPerLane))
	}
	for _, l := range lanes {
		if len(l.HardEnds) > maxNumberedMarkers {
			notes = append(notes, fmt.Sprintf("lanes with more than %d hard ends in view mark them with thin ticks", maxNumberedMarkers))
			break
		}
	}
	if orphans {
		notes = append(notes, "“orphaned”: freed from its parent by a revoke-orphan; Vault makes it a root token, so from then on it is drawn as a hierarchy of its own")
	}
	return notes
}

// subtitle names the run and explains a zoomed window.
func subtitle(r *Run, why string) string {
	s := fmt.Sprintf("%s, seed %d", r.Scenario, r.Seed)
	if why != "" {
		s += " · " + why
	}
	return s
}

// cliffLabel names the layer that set a cliff and the lifetime it allowed.
func cliffLabel(c Cliff) string {
	switch {
	case c.Cause == "revoked" || c.BoundBy == "operator":
		return "revoked by an operator"
	case c.BoundBy == "":
		return c.Cause
	}
	return fmt.Sprintf("%s %s", c.BoundBy, hm(c.LifetimeSeconds))
}

// cliffText is a cliff's line in the side panel.
func cliffText(r *Run, c Cliff) string {
	root := c.Root
	if len(c.Roots) > 1 {
		root += fmt.Sprintf(" +%d", len(c.Roots)-1)
	}
	s := fmt.Sprintf("%s %s: %s", r.clock(c.T), root, countPhrase(c.TokensRevoked, c.LeasesRevoked))
	if c.ReplacedRevoked > 0 {
		s += fmt.Sprintf(" in use (+%d already replaced)", c.ReplacedRevoked)
	}
	return s + " · " + cliffLabel(c)
}

// countPhrase says "2 tokens and 11 credentials", leaving out a zero.
func countPhrase(tokens, leases int) string {
	switch {
	case tokens == 0:
		return plural(leases, "credential")
	case leases == 0:
		return plural(tokens, "token")
	}
	return plural(tokens, "token") + " and " + plural(leases, "credential")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Marker is a vertical line of the time charts: a cliff, labelled with
// the layer that set it; an annotation of the scenario, numbered; or an
// operator's scripted event (reauth, revoke, revoke-orphan, tune, role,
// deploy, outage) that no annotation stands at, lettered S1, S2, ...
type Marker struct {
	T      int64
	Cliff  bool
	Script bool
	Label  string // a cliff's layer and lifetime, the annotation's text or the script's note
	Number int    // 1-based: among the run's cliffs, the scenario's annotations or the scripts
	Text   string // the marker's line in the legend
}

// Markers are the cliffs, annotations and scripts for which visible is
// true, in that order; each keeps its number in the run on every chart. A
// script at the instant of an annotation is told in the annotation's
// legend line ("… · did: reauth broker-core-a") rather than drawn again:
// the scenario's annotation says why, the log's script says what.
func Markers(r *Run, visible func(int64) bool) []Marker {
	var ms []Marker
	for i, c := range r.Cliffs {
		if visible(c.T) {
			ms = append(ms, Marker{T: c.T, Cliff: true, Label: cliffLabel(c), Number: i + 1, Text: cliffText(r, c)})
		}
	}
	annotated := make(map[int64][]string, len(r.Annotations)) // instant -> scripts there; lookups only
	for _, a := range r.Annotations {
		annotated[a.T] = nil
	}
	for _, s := range r.Scripts {
		if _, ok := annotated[s.T]; ok {
			annotated[s.T] = append(annotated[s.T], scriptText(s))
		}
	}
	for i, a := range r.Annotations {
		if visible(a.T) {
			text := r.clock(a.T) + "  " + a.Label
			if did := annotated[a.T]; len(did) > 0 {
				text += " · did: " + strings.Join(did, ", ")
				annotated[a.T] = nil // told once, at the first annotation of the instant
			}
			ms = append(ms, Marker{T: a.T, Label: a.Label, Number: i + 1, Text: text})
		}
	}
	n := 0
	for _, s := range r.Scripts {
		if _, ok := annotated[s.T]; ok {
			continue
		}
		n++
		if visible(s.T) {
			ms = append(ms, Marker{T: s.T, Script: true, Label: scriptText(s), Number: n, Text: r.clock(s.T) + "  " + scriptText(s)})
		}
	}
	return ms
}

// scriptText is a script's note as the log has it, marked when the
// backend refused it.
func scriptText(s Script) string {
	if s.Failed {
		return s.Note + " (refused)"
	}
	return s.Note
}

// maxNumberedMarkers: above this many markers of one kind in view, they
// are drawn as ticks above the data, without labels or legend lines (the
// legend says how many): a slide cannot show more, and each label and
// dashed line costs a raster pass, so 10,000 annotations took a minute.
const maxNumberedMarkers = 40

var (
	cliffLine  = draw.LineStyle{Color: ink, Width: vg.Points(1.6)}
	noteLine   = draw.LineStyle{Color: softInk, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	scriptLine = draw.LineStyle{Color: bluishGreen, Width: vg.Points(1.1), Dashes: []vg.Length{vg.Points(6), vg.Points(2), vg.Points(1), vg.Points(2)}}
)

// addMarkers adds the visible markers to the header (as lines and labels)
// and to the panel (as keys). leftWidth is the room the chart takes left
// of the data, to judge whether cliff labels fit.
func addMarkers(r *Run, visible func(int64) bool, hdr *header, panel *sidePanel, leftWidth vg.Length) {
	ms := Markers(r, visible)
	var nCliffs, nNotes, nScripts int
	var total vg.Length
	sty := textStyle(bold, smallSize, ink)
	for _, m := range ms {
		switch {
		case m.Cliff:
			nCliffs++
			total += sty.Width(m.Label) + 12
		case m.Script:
			nScripts++
		default:
			nNotes++
		}
	}
	short := total > nominalDataWidth(panel, leftWidth)*0.8
	var notes, scripts, cliffs []marker
	heading := func(text string, n int, what string) {
		panel.items = append(panel.items, legendItem{kind: itemHeading, text: text})
		if n > maxNumberedMarkers {
			panel.items = append(panel.items, legendItem{kind: itemNote,
				text: fmt.Sprintf("%s %s in view, more than %d: drawn as ticks above the chart, without labels", thousands(float64(n)), what, maxNumberedMarkers)})
		}
	}
	for _, m := range ms {
		switch {
		case !m.Cliff && !m.Script:
			if len(notes) == 0 {
				heading("Annotations ("+r.zoneName()+")", nNotes, "annotations")
			}
			if nNotes > maxNumberedMarkers {
				notes = append(notes, marker{t: m.T, line: noteLine, rug: true})
				continue
			}
			n := fmt.Sprint(m.Number)
			notes = append(notes, marker{t: m.T, number: n, line: noteLine})
			panel.items = append(panel.items, legendItem{kind: itemNumbered, number: n, text: m.Text})
		case m.Script:
			if len(scripts) == 0 {
				heading("Scripted events ("+r.zoneName()+")", nScripts, "scripted events")
				panel.items = append(panel.items, legendItem{kind: itemLine, line: scriptLine, text: "an operator's action, from the run's log"})
			}
			if nScripts > maxNumberedMarkers {
				scripts = append(scripts, marker{t: m.T, line: scriptLine, rug: true})
				continue
			}
			n := fmt.Sprintf("S%d", m.Number)
			scripts = append(scripts, marker{t: m.T, number: n, line: scriptLine})
			panel.items = append(panel.items, legendItem{kind: itemNumbered, number: n, text: m.Text})
		default:
			if len(cliffs) == 0 {
				panel.items = append(panel.items,
					legendItem{kind: itemLine, line: cliffLine, text: "cliff: tokens or credentials in use ending together, labelled with the layer that set their end"})
				heading("Cliffs", nCliffs, "cliffs")
			}
			if nCliffs > maxNumberedMarkers {
				cliffs = append(cliffs, marker{t: m.T, line: cliffLine, rug: true})
				continue
			}
			label, it := m.Label, legendItem{kind: itemNote, text: m.Text}
			if short {
				label = fmt.Sprintf("C%d", m.Number)
				it = legendItem{kind: itemNumbered, number: label, text: m.Text}
			}
			cliffs = append(cliffs, marker{t: m.T, label: label, line: cliffLine})
			panel.items = append(panel.items, it)
		}
	}
	// Cliff lines last, so they are drawn over the others.
	hdr.markers = append(append(append(hdr.markers, notes...), scripts...), cliffs...)
}

// nominalDataWidth is the data width at slide size, to choose labels at
// build time (the builder does not know the final size).
func nominalDataWidth(panel *sidePanel, leftWidth vg.Length) vg.Length {
	pw, _, _ := panel.layout(panelSizes[0])
	return SlideWidth - leftWidth - pw - panelGap - 30
}

// TimelineTitle states the timeline's finding: the cliffs, what they took
// and the layer that set them.
func TimelineTitle(r *Run) string {
	if len(r.Cliffs) == 0 {
		return fmt.Sprintf("No cliff in the %s run: no tokens or credentials in use ended together", span(r.Whole().To))
	}
	tokens, leases := 0, 0
	sameLayer := true
	for _, c := range r.Cliffs {
		tokens += c.TokensRevoked
		leases += c.LeasesRevoked
		sameLayer = sameLayer && cliffLabel(c) == cliffLabel(r.Cliffs[0])
	}
	first := r.Cliffs[0]
	if len(r.Cliffs) == 1 {
		all := ""
		if r.aliveAfter(first.T) == 0 {
			all = "All "
		}
		return fmt.Sprintf("%s%s revoked at %s — %s", all, countPhrase(tokens, leases), r.stamp(first.T), cliffLabel(first))
	}
	last := r.Cliffs[len(r.Cliffs)-1]
	layer := cliffLabel(first)
	if !sameLayer {
		layer = "first: " + layer
	}
	all := ""
	if r.aliveAfter(last.T) == 0 {
		all = "all "
	}
	return fmt.Sprintf("%d cliffs on %s revoked %s%s — %s", len(r.Cliffs), r.dateRange(first.T, last.T), all, countPhrase(tokens, leases), layer)
}

// dateRange names the days from a to b: "Jan 15–16 2024", "Jan 15 2024",
// "Dec 30 2023 – Jan 2 2024".
func (r *Run) dateRange(a, b int64) string {
	ta, tb := r.Time(a), r.Time(b)
	switch {
	case ta.Format("2006-01-02") == tb.Format("2006-01-02"):
		return ta.Format("Jan 2 2006")
	case ta.Year() == tb.Year() && ta.Month() == tb.Month():
		return fmt.Sprintf("%s–%d %d", ta.Format("Jan 2"), tb.Day(), tb.Year())
	case ta.Year() == tb.Year():
		return fmt.Sprintf("%s – %s", ta.Format("Jan 2"), tb.Format("Jan 2 2006"))
	}
	return fmt.Sprintf("%s – %s", ta.Format("Jan 2 2006"), tb.Format("Jan 2 2006"))
}

// aliveAfter counts the entities alive just after instant t.
func (r *Run) aliveAfter(t int64) int {
	n := 0
	for _, e := range r.ents.all() {
		if e.issued.t() <= t && (e.ended.t() == None || e.ended.t() > t) {
			n++
		}
	}
	return n
}
