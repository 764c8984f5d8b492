package plots

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Options choose the window of the time charts (LiveEntities and
// ServiceImpact); zero means FocusWindow, the timeline's default, so the
// charts line up.
type Options struct {
	Window Window
}

// seriesPlotter draws a series: a PostStep line through its points, or
// the band of its ranges when it was summarised.
func seriesPlotter(s Series, sty draw.LineStyle) (plot.Plotter, error) {
	if s.Points == nil {
		return &rangeBand{ranges: s.Ranges, line: sty}, nil
	}
	xys := make(plotter.XYs, len(s.Points))
	for i, p := range s.Points {
		xys[i] = plotter.XY{X: float64(p.T), Y: p.V}
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	l.StepStyle = plotter.PostStep
	l.LineStyle = sty
	return l, nil
}

// timeChart is a plot over window w of r with a grid, a y axis label,
// and the run's markers in the header and panel.
func timeChart(r *Run, w Window, ylabel string) *plot.Plot {
	p := newPlot("")
	timeAxis(p, r, w)
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Y.Tick.Marker = numberTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = gridGrey
	grid.Horizontal.Color = gridGrey
	p.Add(grid)
	return p
}

// numberTicks are gonum's default ticks, labelled without trailing
// zeros and with thousands separators: 0, 0.5, 25, 1,200.
type numberTicks struct{}

func (numberTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label == "" {
			continue
		}
		if t.Value == math.Trunc(t.Value) && math.Abs(t.Value) >= 1000 {
			ticks[i].Label = thousands(t.Value)
		} else {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
}

// liveStyles: tokens, credentials, in use.
var liveStyles = []draw.LineStyle{
	{Color: blue, Width: vg.Points(1.8)},
	{Color: vermillion, Width: vg.Points(1.8), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}},
	{Color: bluishGreen, Width: vg.Points(1.4), Dashes: []vg.Length{vg.Points(1.5), vg.Points(2)}},
}

// LiveEntities draws live tokens, live credentials and credentials in use
// over time, as steps: a cliff is a vertical drop.
func LiveEntities(r *Run, opts Options) (*plot.Plot, error) {
	w, why, err := r.window(opts.Window)
	if err != nil {
		return nil, err
	}
	p, _, _, err := liveEntities(r, w, why)
	return p, err
}

// LiveChart is the live chart as `plot` draws it: LiveEntities, and below
// it, when the run's incidents are short next to the window (IncidentZoom),
// a second panel zoomed onto them, so that a 20-minute incident in a
// 48-hour run is not a sliver.
func LiveChart(r *Run, opts Options) (Drawable, error) {
	w, why, err := r.window(opts.Window)
	if err != nil {
		return nil, err
	}
	top, panel, _, err := liveEntities(r, w, why)
	if err != nil {
		return nil, err
	}
	zw, zwhy, ok := r.IncidentZoom(w)
	if !ok || !opts.Window.Zero() {
		return top, nil
	}
	bottom, zpanel, zhdr, err := liveEntities(r, zw, "")
	if err != nil {
		return nil, err
	}
	zhdr.title, zhdr.subtitle = "Zoom: "+zwhy, ""
	pw, _, _ := panel.layout(panelSizes[0])
	zpanel.items = []legendItem{{kind: itemNote, text: "the same counts and markers, from " + r.clock(zw.From) + " to " + r.clock(zw.To)}}
	zpanel.minWidth = pw
	return stacked{top: top, bottom: bottom}, nil
}

func liveEntities(r *Run, w Window, why string) (*plot.Plot, *sidePanel, *header, error) {
	series := LiveSeries(r, w)
	p := timeChart(r, w, "alive at that moment")
	panel := &sidePanel{items: []legendItem{{kind: itemHeading, text: "Alive"}}}
	for i, s := range series {
		l, err := seriesPlotter(s, liveStyles[i])
		if err != nil {
			return nil, nil, nil, err
		}
		p.Add(l)
		kind := itemLine
		if s.Points == nil {
			kind = itemBand
		}
		panel.items = append(panel.items, legendItem{kind: kind, line: liveStyles[i], text: s.Label})
	}
	panel.items = append(panel.items, legendItem{kind: itemNote,
		text: "in use: not yet replaced by its holder. Replaced, a token or credential stays valid until its own end, which harms nobody: not a drop"})
	if slices.ContainsFunc(series, func(s Series) bool { return s.Points == nil }) {
		panel.items = append(panel.items, legendItem{kind: itemNote,
			text: fmt.Sprintf("too many changes to draw one by one: each band spans the lowest to the highest count in each %s", hm((w.To-w.From)/rangeBuckets))})
	}
	hdr := &header{title: LiveTitle(r, w), subtitle: subtitle(r, why)}
	addMarkers(r, w.contains, hdr, panel, 60)
	hdr.panel = panel
	p.Add(hdr, panel)
	p.Y.Max = max(p.Y.Max*1.08, 1)
	return p, panel, hdr, nil
}

// LiveTitle names the run's largest cliff — what in use it ended, when,
// its root and the layer that set it — in the report's own counts (the
// cliff lines of the log), never routine turnover. Without a cliff it says
// how much in use ever ended at once within w.
func LiveTitle(r *Run, w Window) string {
	if len(r.Cliffs) == 0 {
		switch n := mostEndedInUse(r, w); n {
		case 0:
			return fmt.Sprintf("No cliff in the %s run: nothing in use ended; holders replaced everything in time", span(r.Whole().To))
		case 1:
			return fmt.Sprintf("No cliff in the %s run: never more than one token or credential in use ended at once", span(r.Whole().To))
		default:
			return fmt.Sprintf("No cliff in the %s run: never more than %d tokens and credentials in use ended at once", span(r.Whole().To), n)
		}
	}
	c := LargestCliff(r)
	lead := "Cliff"
	if len(r.Cliffs) > 1 {
		lead = fmt.Sprintf("Largest of %d cliffs", len(r.Cliffs))
	}
	root := c.Root
	if len(c.Roots) > 1 {
		root += fmt.Sprintf(" +%d", len(c.Roots)-1)
	}
	where := ""
	if !w.contains(c.T) {
		where = " (outside the span shown)"
	}
	return fmt.Sprintf("%s: %s in use ended at %s%s — %s, %s", lead, countPhrase(c.TokensRevoked, c.LeasesRevoked), r.stamp(c.T), where, root, cliffLabel(c))
}

// LargestCliff is the cliff that ended the most in use (the earliest of
// equals). The run must have a cliff.
func LargestCliff(r *Run) Cliff {
	best := r.Cliffs[0]
	for _, c := range r.Cliffs[1:] {
		if c.TokensRevoked+c.LeasesRevoked > best.TokensRevoked+best.LeasesRevoked {
			best = c
		}
	}
	return best
}

// mostEndedInUse is the most tokens and credentials in use that ended at
// one instant of w.
func mostEndedInUse(r *Run, w Window) int {
	var ends []int64
	for _, which := range []int{LiveTokens, LiveCreds} {
		liveDeltas(r, which, func(t int64, _ int, end bool) {
			if end && w.contains(t) {
				ends = append(ends, t)
			}
		})
	}
	slices.Sort(ends)
	most := 0
	for i := 0; i < len(ends); {
		j := i
		for j < len(ends) && ends[j] == ends[i] {
			j++
		}
		most, i = max(most, j-i), j
	}
	return most
}

// ServiceImpact draws failed requests per second per service, with the
// spans in which any service failed shaded and the run's markers.
func ServiceImpact(r *Run, opts Options) (*plot.Plot, error) {
	w, why, err := r.window(opts.Window)
	if err != nil {
		return nil, err
	}
	im, spans := ImpactSeries(r, w), []Window(nil)
	if opts.Window.Zero() {
		im, spans = ImpactView(r, w)
	}
	p := timeChart(r, w, "failed requests per second")
	visible := w.contains
	var segs *segments
	switch {
	case len(spans) == 1:
		timeAxis(p, r, spans[0])
		visible = spans[0].contains
		why = "around the outage: " + spanList(r, spans)
	case len(spans) > 1:
		segs = newSegments(spans)
		segmentAxis(p, r, segs)
		visible = segs.visible
		why = "outage windows only: " + spanList(r, spans)
	}
	p.Add(&shades{spans: im.Windows})
	panel := &sidePanel{items: []legendItem{{kind: itemHeading, text: "Failed requests per second"}}}
	for i, s := range im.Rates {
		sty := seriesLine(i)
		l, err := seriesPlotter(s, sty)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		text := fmt.Sprintf("%s: %s failed", s.Label, thousands(im.Failed[i]))
		kind := itemLine
		if s.Points == nil {
			kind = itemBand
		}
		panel.items = append(panel.items, legendItem{kind: kind, line: sty, text: text})
	}
	if segs != nil {
		p.Add(&segmentBreaks{segs})
	}
	panel.items = append(panel.items, legendItem{kind: itemShade, text: "some service failing"})
	hdr := &header{title: ImpactTitle(r, im), subtitle: subtitle(r, why)}
	addMarkers(r, visible, hdr, panel, 60)
	hdr.panel = panel
	p.Add(hdr, panel)
	p.Y.Max = max(p.Y.Max*1.08, 1)
	return p, nil
}

// ImpactView is the impact chart's data as drawn by default over window
// w: the spans shown (ImpactSpans; nil for all of w), and the rates from
// the first span's start to the last one's end. (gonum clips a step line
// before drawing its steps, which would bend the first step of a line
// starting off the axis, so the lines start on it.)
func ImpactView(r *Run, w Window) (Impact, []Window) {
	im := ImpactSeries(r, w)
	spans := ImpactSpans(r, w, im)
	if spans != nil {
		im.Rates = ImpactSeries(r, Window{spans[0].From, spans[len(spans)-1].To}).Rates
	}
	return im, spans
}

// ImpactTitle states the failed requests and the worst-hit service.
func ImpactTitle(r *Run, im Impact) string {
	total, worst, hit := 0.0, -1, 0
	for i, f := range im.Failed {
		total += f
		if f > 0 {
			hit++
		}
		if f > 0 && (worst < 0 || f > im.Failed[worst]) {
			worst = i
		}
	}
	switch {
	case worst < 0:
		return fmt.Sprintf("No failed requests in the %s run: every replica kept a valid credential", span(r.Whole().To))
	case hit == 1 && len(im.Outages[worst]) == 1:
		o := im.Outages[worst][0]
		until := "to the end of the run"
		if o.To < r.Horizon {
			until = "until " + r.clock(o.To)
		}
		return fmt.Sprintf("%s failed requests: %s down from %s %s", thousands(total), im.Rates[worst].Label, r.stamp(o.From), until)
	}
	return fmt.Sprintf("%s failed requests in %s; worst: %s, %s", thousands(total),
		plural(len(im.Windows), "outage window"), im.Rates[worst].Label, thousands(im.Failed[worst]))
}

// thousands formats a count with thousands separators: 2,851,500.
func thousands(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// RenewalDetail draws the TTL an entity has left over time: a saw-tooth
// of renewals under the ceiling of its hard end, which cuts the renewals
// short as it approaches. A renewal is marked capped when it carried
// Vault's capped-TTL warning, the report's definition (docs/run-report.md). id "" means DefaultRenewalEntity.
func RenewalDetail(r *Run, id string) (*plot.Plot, error) {
	if id == "" {
		var err error
		if id, err = DefaultRenewalEntity(r); err != nil {
			return nil, err
		}
	}
	rn, err := RenewalSeries(r, id)
	if err != nil {
		return nil, err
	}
	e, _ := r.Entity(id)
	unit, unitName := 3600.0, "hours"
	if rn.MaxTTL < 3*3600 {
		unit, unitName = 60, "minutes"
	}
	hours := func(pts []Point) plotter.XYs {
		xys := make(plotter.XYs, len(pts))
		for i, p := range pts {
			xys[i] = plotter.XY{X: float64(p.T), Y: p.V / unit}
		}
		return xys
	}
	p := timeChart(r, rn.Window, "TTL left ("+unitName+")")
	panel := &sidePanel{items: []legendItem{{kind: itemHeading, text: id}}}
	remStyle := draw.LineStyle{Color: blue, Width: vg.Points(1.8)}
	ceilStyle := draw.LineStyle{Color: vermillion, Width: vg.Points(1.8), Dashes: []vg.Length{vg.Points(7), vg.Points(3)}}
	rem, err := plotter.NewLine(hours(rn.Remaining))
	if err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	rem.LineStyle = remStyle
	p.Add(rem)
	panel.items = append(panel.items, legendItem{kind: itemLine, line: remStyle, text: "TTL left: each renewal sets it to the TTL granted"})
	if len(rn.Ceiling) > 0 {
		l, err := plotter.NewLine(hours(rn.Ceiling))
		if err != nil {
			return nil, fmt.Errorf("plots: %w", err)
		}
		l.LineStyle = ceilStyle
		p.Add(l)
		panel.items = append(panel.items, legendItem{kind: itemLine, line: ceilStyle, text: "ceiling: time left to the hard end"})
	}
	renewGlyph := draw.GlyphStyle{Color: blue, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}
	capGlyph := draw.GlyphStyle{Color: vermillion, Radius: vg.Points(4), Shape: draw.PyramidGlyph{}}
	failGlyph := draw.GlyphStyle{Color: black, Radius: vg.Points(3.5), Shape: draw.CrossGlyph{}}
	for _, g := range []struct {
		pts   []Point
		sty   draw.GlyphStyle
		label string
	}{
		{rn.Renewals, renewGlyph, "renewal"},
		{rn.Capped, capGlyph, "capped renewal: Vault warned it cut the TTL"},
	} {
		if len(g.pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(hours(g.pts))
		if err != nil {
			return nil, fmt.Errorf("plots: %w", err)
		}
		s.GlyphStyle = g.sty
		p.Add(s)
		panel.items = append(panel.items, legendItem{kind: itemGlyph, glyph: g.sty, text: g.label})
	}
	if len(rn.Failed) > 0 {
		pts := make([]Point, len(rn.Failed))
		for i, t := range rn.Failed {
			pts[i] = Point{t, 0}
		}
		s, err := plotter.NewScatter(hours(pts))
		if err != nil {
			return nil, fmt.Errorf("plots: %w", err)
		}
		s.GlyphStyle = failGlyph
		p.Add(s)
		panel.items = append(panel.items, legendItem{kind: itemGlyph, glyph: failGlyph, text: "renewal refused"})
	}
	hdr := &header{title: renewalTitle(r, e, rn), subtitle: renewalSubtitle(r, e, rn)}
	eventLine := draw.LineStyle{Color: softInk, Width: vg.Points(0.9), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	endLine := draw.LineStyle{Color: ink, Width: vg.Points(1.6)}
	if e.Done != None && rn.Window.contains(e.Done) {
		hdr.markers = append(hdr.markers, marker{t: e.Done, label: "watcher gave up", line: eventLine})
	}
	if e.Replaced != None && e.Replaced != e.Done && rn.Window.contains(e.Replaced) {
		hdr.markers = append(hdr.markers, marker{t: e.Replaced, label: "holder moved on", line: eventLine})
	}
	if e.Ended != None {
		hdr.markers = append(hdr.markers, marker{t: e.Ended, label: endLabel(e), line: endLine})
	}
	panel.items = append(panel.items, legendItem{kind: itemNote, text: fmt.Sprintf("%s of %s; %s", e.Kind, e.Actor, kindNote(e))})
	hdr.panel = panel
	p.Add(hdr, panel)
	p.Y.Max = max(float64(rn.MaxTTL)/unit*1.3, 1)
	p.X.Padding = 0
	return p, nil
}

func kindNote(e *Entity) string {
	if e.Parent == "" {
		return "no parent"
	}
	return "parent " + e.Parent
}

// endLabel says how an entity ended, for its marker.
func endLabel(e *Entity) string {
	switch e.Cause {
	case "max-ttl":
		return "hard end: " + e.BoundBy
	case "expired":
		return "expired"
	case "cascade", "parent-revoked":
		return "revoked with " + e.Root
	case "revoked":
		return "revoked by an operator"
	}
	return e.Cause
}

// renewalTitle states what the renewals did.
func renewalTitle(r *Run, e *Entity, rn Renewal) string {
	n := e.Renewals
	switch {
	case e.Grants[0].Expire == None:
		return fmt.Sprintf("%s never expires (TTL 0, a root token): nothing to renew; it ended %s", e.ID, endPhrase(r, e))
	case n == 0:
		return fmt.Sprintf("%s was never renewed; it ended %s", e.ID, endPhrase(r, e))
	case rn.CappedFrom != None:
		return fmt.Sprintf("%s: Vault capped its renewals from %s (first warning); it ended %s", e.ID, r.clock(rn.CappedFrom), endPhrase(r, e))
	case e.Replaced != None && e.HardEnd != None && e.Replaced < e.HardEnd:
		return fmt.Sprintf("%s: its holder moved on %s before its hard end; it ended %s", e.ID, hm(e.HardEnd-e.Replaced), endPhrase(r, e))
	}
	return fmt.Sprintf("%s: %s, each restoring its TTL; it ended %s", e.ID, plural(n, "renewal"), endPhrase(r, e))
}

func endPhrase(r *Run, e *Entity) string {
	if e.Ended == None {
		return "— no: alive at the end of the run"
	}
	switch e.Cause {
	case "max-ttl":
		return "at its hard end, " + r.stamp(e.Ended)
	case "expired":
		return "when its TTL ran out, " + r.stamp(e.Ended)
	case "cascade", "parent-revoked":
		return "with " + e.Root + ", " + r.stamp(e.Ended)
	}
	return "revoked, " + r.stamp(e.Ended)
}

func renewalSubtitle(r *Run, e *Entity, rn Renewal) string {
	s := fmt.Sprintf("%s, seed %d · %s, issued %s", r.Scenario, r.Seed, plural(e.Renewals, "renewal"), r.stamp(e.Issued()))
	if e.HardEnd != None {
		s += fmt.Sprintf(", hard end issue + %s", hm(e.HardEnd-e.Issued()))
	} else {
		s += ", no hard end"
	}
	if rn.CappedBy != "" {
		s += " (" + rn.CappedBy + ")"
	}
	if rn.Zoomed {
		s += fmt.Sprintf(" · showing its last %s", hm(rn.Window.To-rn.Window.From))
	}
	return s
}
