package plots

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// revocationSecond is one second of one mount's revocation work, as
// events.jsonl's "revocation" lines record it (docs/revocation.md), as far
// as the chart draws it: a long run has one per second of work, hundreds
// of thousands, kept in 40 bytes each.
type revocationSecond struct {
	t        int64
	ended    int64 // leases that ended for Vault in that second: they join the backlog at its start
	attempts int64 // revoke calls the database received in that second
	backlog  int64 // the mount's leases not yet revoked (nor irrevocable) at its end
	mount    int32 // in store.strs
}

type revocationJSON struct {
	T           *int64 `json:"t"`
	Mount       string `json:"mount"`
	Ended       *int   `json:"ended"`
	Attempts    int    `json:"attempts"`
	Failures    int    `json:"failures"`
	Revoked     int    `json:"revoked"`
	Irrevocable int    `json:"irrevocable"`
	Backlog     int    `json:"backlog"`
}

// parseRevocation reads one "revocation" line: they follow the cliff lines,
// in time order.
func (p *parser) parseRevocation(line []byte) error {
	var v revocationJSON
	if err := json.Unmarshal(line, &v); err != nil {
		return lineErr(p.line, jsonField(err), "%v", err)
	}
	switch {
	case v.T == nil:
		return lineErr(p.line, "t", "missing")
	case *v.T < 0 || *v.T > p.run.Horizon:
		return lineErr(p.line, "t", "%d is outside the run (0 to %d)", *v.T, p.run.Horizon)
	case v.Mount == "":
		return lineErr(p.line, "mount", "missing")
	}
	ended := 0
	if v.Ended == nil && p.run.revocationWithoutEnded == 0 {
		// A log written before leasesim recorded it: the other charts
		// read it as before; the revocation chart, which needs it for
		// the report's peak backlog, refuses it by line.
		p.run.revocationWithoutEnded = p.line
	} else if v.Ended != nil {
		ended = *v.Ended
	}
	rev := &p.run.revocation
	if n := rev.n; n > 0 && *v.T < rev.at(n-1).t {
		return lineErr(p.line, "t", "%d is before the previous revocation line's %d", *v.T, rev.at(n-1).t)
	}
	p.sawCliff = true // nothing but summaries may follow
	rev.add(revocationSecond{t: *v.T, mount: p.run.ents.str(v.Mount), ended: int64(ended),
		attempts: int64(v.Attempts), backlog: int64(v.Backlog)})
	return nil
}

// RevocationChart draws the expiration manager's work around the run's
// busiest cliff: the leases still usable in the database (the backlog:
// up at a second's start by the leases that ended then, down by the
// second's work) and the revoke calls the database receives per second,
// scaled so that its peak meets the backlog's (the legend gives the peak
// in calls per second). Its title's peak backlog is the run report's: the
// most leases waiting at once, at a second's start. It reads only the
// log's "revocation" lines.
func RevocationChart(r *Run) (*plot.Plot, error) {
	if r.revocation.n == 0 {
		return nil, fmt.Errorf("plots: %s has no revocation lines: the run used the instant model (backend.revocation: instant; drop it for Vault's expiration manager, docs/revocation.md)", r.Scenario)
	}
	if r.revocationWithoutEnded > 0 {
		// Without it the chart cannot show the backlog at a second's
		// start, the peak the run report prints.
		return nil, lineErr(r.revocationWithoutEnded, "ended", "missing (a log written before leasesim recorded it): the revocation chart needs it; run the scenario again to draw it, the other charts read this log as it is")
	}
	w, cliff := revocationWindow(r)
	backlog, load, peak, peakAt, drained := revocationSeries(r, w)
	p := timeChart(r, w, "leases")
	waited := 0
	for _, pt := range backlog {
		waited = max(waited, int(pt.Y))
	}
	maxB := max(float64(waited), 1) // the axis needs a height even when no lease waited
	// Calls come in waves (every worker starts together): average them
	// over buckets of a twentieth of the window.
	bucket := max((w.To-w.From)/20, 1)
	sums := map[int64]float64{}
	for _, pt := range load {
		if int64(pt.X) >= cliff {
			sums[(int64(pt.X)-cliff)/bucket] += pt.Y // buckets start at the cliff
		}
	}
	loadPeak := 0.0
	for _, v := range sums {
		loadPeak = max(loadPeak, v/float64(bucket))
	}
	scale := 0.0
	if loadPeak > 0 {
		scale = maxB / loadPeak
	}
	scaled := plotter.XYs{{X: float64(w.From), Y: 0}}
	for b := int64(0); cliff+b*bucket <= w.To; b++ {
		scaled = append(scaled, plotter.XY{X: float64(cliff + b*bucket), Y: sums[b] / float64(bucket) * scale})
	}
	styles := []draw.LineStyle{
		{Color: vermillion, Width: vg.Points(1.8)},
		{Color: blue, Width: vg.Points(1.2)},
	}
	panel := &sidePanel{items: []legendItem{{kind: itemHeading, text: "Revocation"}}}
	// A storm of many seconds (a fleet polling short credentials: a spike
	// each minute for hours) is summarised like the other charts' series:
	// one stroke through thousands of spikes takes the PNG rasteriser
	// minutes, and a slide cannot show them one by one.
	steps := make([]Point, len(backlog))
	for i, pt := range backlog {
		steps[i] = Point{T: int64(pt.X), V: pt.Y}
	}
	backlogSeries := summarise("backlog", steps, w)
	if len(scaled) > 0 {
		l, err := plotter.NewLine(scaled)
		if err != nil {
			return nil, fmt.Errorf("plots: %w", err)
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle = styles[1]
		p.Add(l)
	}
	backlogKind := itemLine
	if len(backlog) > 0 { // the backlog on top
		l, err := seriesPlotter(backlogSeries, styles[0])
		if err != nil {
			return nil, err
		}
		p.Add(l)
		if backlogSeries.Points == nil {
			backlogKind = itemBand
		}
	}
	panel.items = append(panel.items,
		legendItem{kind: backlogKind, line: styles[0], text: "backlog: leases ended for Vault, still usable in the database (up as they end, at a second's start; down as they are revoked)"},
		legendItem{kind: itemLine, line: styles[1], text: fmt.Sprintf("database load: revoke calls per second, averaged over %s, scaled (top = %s/s)", hmsSpan(bucket), thousands(loadPeak))},
		legendItem{kind: itemNote, text: "Vault refuses an expired credential at once; the database accepts it until its revocation job runs (docs/revocation.md)"})
	if backlogKind == itemBand {
		panel.items = append(panel.items, legendItem{kind: itemNote,
			text: fmt.Sprintf("too many changes to draw one by one: the band spans the lowest to the highest backlog in each %s", hmsSpan((w.To-w.From)/rangeBuckets))})
	}
	// With one mount (the usual case) this is the run report's peak
	// backlog of the cliff; the report gives each mount's, the chart sums.
	across := ""
	if n := mountsIn(r, w); n > 1 {
		across = fmt.Sprintf(" across %d mounts", n)
	}
	title := fmt.Sprintf("Revocation: peak backlog %s%s; the database took %s calls/s at peak (%s)", plural(waited, "lease"), across, thousands(float64(peak)), r.clock(peakAt))
	// Steady work (a fleet polling short credentials) has no cliff: its
	// storm starts at its first second of work.
	start, around := "the cliff", "around the busiest cliff"
	if !slices.ContainsFunc(r.Cliffs, func(c Cliff) bool { return c.T == cliff }) {
		start, around = "the work began", "around the busiest second of revocation work (no cliff)"
	}
	if drained >= 0 {
		title += fmt.Sprintf("; drained %s after %s", hmsSpan(drained-cliff), start)
	} else {
		title += "; not drained by the horizon"
	}
	hdr := &header{title: title, subtitle: subtitle(r, around)}
	addMarkers(r, w.contains, hdr, panel, 60)
	hdr.panel = panel
	p.Add(hdr, panel)
	p.Y.Max = max(maxB*1.08, 1)
	return p, nil
}

// revocationWindow spans the storm of the second with the highest
// backlog (at its start; on a tie a cliff's second, then the one that
// left more waiting at its end): from a little before its first
// revocation line to a little after its backlog last changed.
func revocationWindow(r *Run) (w Window, cliff int64) {
	cliffs := map[int64]bool{}
	for _, c := range r.Cliffs {
		cliffs[c.T] = true
	}
	type rank struct{ start, cliff, end int64 }
	rev := &r.revocation
	busiest, most := *rev.at(0), rank{-1, 0, 0}
	walkBacklog(rev, func(s *revocationSecond, start int64) {
		k := rank{start, 0, s.backlog}
		if cliffs[s.t] {
			k.cliff = 1
		}
		if k.start > most.start || k.start == most.start && (k.cliff > most.cliff || k.cliff == most.cliff && k.end > most.end) {
			busiest, most = *s, k
		}
	})
	// The storm: the lines around the busiest, with no quiet hour inside.
	from, to := busiest.t, busiest.t
	for i := rev.n - 1; i >= 0; i-- {
		if s := rev.at(i); s.t <= from && from-s.t <= 3600 {
			from = s.t
		}
	}
	for _, s := range rev.all() {
		if s.t >= to && s.t-to <= 3600 {
			to = s.t
		}
	}
	pad := max((to-from)/10, 30)
	return Window{From: max(from-pad, 0), To: min(to+pad, r.Horizon)}, from
}

// walkBacklog calls fn with each line and its mount's backlog at the
// line's start: the mount's backlog after its previous line plus the
// leases that ended in the second. That is the run report's peak backlog
// (sim/revocation_seconds.go, foldRow): leases arrive only at whole
// seconds, so a second's highest backlog is at its start.
func walkBacklog(lines *blockList[revocationSecond], fn func(s *revocationSecond, start int64)) {
	after := map[int32]int64{}
	for _, s := range lines.all() {
		fn(s, after[s.mount]+s.ended)
		after[s.mount] = s.backlog
	}
}

// mountsIn counts the mounts with revocation lines within w.
func mountsIn(r *Run, w Window) int {
	seen := map[int32]bool{}
	for _, s := range r.revocation.all() {
		if w.contains(s.t) {
			seen[s.mount] = true
		}
	}
	return len(seen)
}

// revocationSeries sums every mount's lines within w: the backlog at the
// start of each second that had any (every mount's leases waiting then,
// those that ended in it included) and after it, and the calls in each
// second that had any.
func revocationSeries(r *Run, w Window) (backlog, load plotter.XYs, peak, peakAt, drained int64) {
	start, after := map[int32]int64{}, map[int32]int64{}
	drained = -1
	var t int64 = -1
	flush := func() {
		atStart, atEnd := int64(0), int64(0)
		for m, b := range after {
			atEnd += b
			if s, ok := start[m]; ok {
				atStart += s
			} else {
				atStart += b
			}
		}
		backlog = append(backlog, plotter.XY{X: float64(t), Y: float64(atStart)}, plotter.XY{X: float64(t + 1), Y: float64(atEnd)})
		if atEnd == 0 && drained < 0 && t >= w.From {
			drained = t
		}
	}
	calls := int64(0)
	walkBacklog(&r.revocation, func(s *revocationSecond, b int64) {
		if s.t > w.To {
			return
		}
		if s.t != t && t >= 0 {
			if t >= w.From {
				flush()
				load = append(load, plotter.XY{X: float64(t), Y: float64(calls)})
			}
			calls = 0
			clear(start)
		}
		t = s.t
		start[s.mount] = b
		after[s.mount] = s.backlog
		calls += s.attempts
		if s.t >= w.From && s.attempts > peak {
			peak, peakAt = s.attempts, s.t
		}
	})
	if t >= w.From {
		flush()
		load = append(load, plotter.XY{X: float64(t), Y: float64(calls)})
	}
	return backlog, load, peak, peakAt, drained
}

// hmsSpan writes seconds as "9m16s".
func hmsSpan(s int64) string {
	return (time.Duration(s) * time.Second).String()
}

// RevocationChartName is the revocation chart's name: drawn only for runs
// that modelled revocation, so it is not among Charts.
const RevocationChartName = "revocation"

// ChartsOf are the charts a run's files include: Charts, and the
// revocation chart when the run's revocation work outlasted a second (some
// lease still waited at a second's end). The chart draws by the second, so
// work that is done within each second would draw a blank; the run report
// gives its figures, and plot --plot revocation.png still draws it.
func ChartsOf(r *Run) []string {
	for _, s := range r.revocation.all() {
		if s.backlog > 0 {
			return append(append([]string(nil), Charts...), RevocationChartName)
		}
	}
	return Charts
}
