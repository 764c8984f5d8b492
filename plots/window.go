package plots

import (
	"fmt"
	"slices"
	"time"

	"gonum.org/v1/plot"
)

// Window is a span of a run in seconds from its start, From < To.
type Window struct {
	From, To int64
}

// Zero reports whether w is unset (meaning: choose the default).
func (w Window) Zero() bool { return w.From == 0 && w.To == 0 }

func (w Window) contains(t int64) bool { return t >= w.From && t <= w.To }

// Whole is the whole run.
func (r *Run) Whole() Window { return Window{0, max(r.Horizon, 1)} }

// crowdedFraction: points of interest closer than this fraction of the
// run would be drawn on top of each other, so the default window zooms.
const crowdedFraction = 50

// FocusWindow is the default x range of the time charts, and why. It is
// the whole run unless the run's cliffs and annotations crowd together
// (two of them closer than 1/50 of the run, as the replay's minutes-apart
// incident timeline in a 47-day run): then it spans them with a margin of
// a tenth of their span (at least an hour), on whole hours.
func (r *Run) FocusWindow() (Window, string) {
	whole := r.Whole()
	var pts []int64
	for _, c := range r.Cliffs {
		pts = append(pts, c.T)
	}
	for _, a := range r.Annotations {
		if whole.contains(a.T) {
			pts = append(pts, a.T)
		}
	}
	slices.Sort(pts)
	pts = slices.Compact(pts)
	crowded := false
	for i := 1; i < len(pts); i++ {
		if (pts[i]-pts[i-1])*crowdedFraction < whole.To {
			crowded = true
		}
	}
	if !crowded {
		return whole, ""
	}
	lo, hi := pts[0], pts[len(pts)-1]
	margin := max((hi-lo)/10, 3600)
	w := Window{From: r.floorHour(lo - margin), To: r.ceilHour(hi + margin)}
	w.From, w.To = max(w.From, 0), min(w.To, whole.To)
	if (w.To-w.From)*2 > whole.To {
		return whole, ""
	}
	why := fmt.Sprintf("showing %s to %s of a %s run, around its cliffs and annotations",
		r.Time(w.From).Format("Jan 2 15:04"), r.Time(w.To).Format("Jan 2 15:04"), span(whole.To))
	return w, why
}

// window resolves a requested window: zero means FocusWindow; otherwise it
// is clipped to the run and must not be empty.
func (r *Run) window(w Window) (Window, string, error) {
	if w.Zero() {
		w, why := r.FocusWindow()
		return w, why, nil
	}
	whole := r.Whole()
	w.From, w.To = max(w.From, 0), min(w.To, whole.To)
	if w.From >= w.To {
		return w, "", fmt.Errorf("plots: window %d..%d s is empty or outside the run (0..%d s)", w.From, w.To, whole.To)
	}
	why := ""
	if w != whole {
		why = fmt.Sprintf("showing %s to %s of a %s run",
			r.Time(w.From).Format("Jan 2 15:04"), r.Time(w.To).Format("Jan 2 15:04"), span(whole.To))
	}
	return w, why, nil
}

func (r *Run) floorHour(t int64) int64 {
	lt := r.Time(t)
	h := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, lt.Location())
	return int64(h.Sub(r.Start) / time.Second)
}

func (r *Run) ceilHour(t int64) int64 {
	f := r.floorHour(t)
	if f == t {
		return t
	}
	return r.floorHour(t + 3600)
}

// span formats a duration of whole seconds for a caption: "47 days",
// "3 days 4h", "29h25m", "25m".
func span(s int64) string {
	d := time.Duration(s) * time.Second
	switch {
	case d >= 72*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d-day", d/(24*time.Hour))
	case d >= 72*time.Hour:
		return fmt.Sprintf("%d-day %dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	}
	return hm(s)
}

// hm formats seconds as 29h25m, 768h, 25m or 40s.
func hm(s int64) string {
	switch {
	case s >= 3600 && s%3600 == 0:
		return fmt.Sprintf("%dh", s/3600)
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	case s >= 60 && s%60 == 0:
		return fmt.Sprintf("%dm", s/60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}

// zoneName names the scenario's zone for an axis: "UTC" or "UTC-07:00".
func (r *Run) zoneName() string {
	if _, off := r.Start.Zone(); off == 0 {
		return "UTC"
	}
	return "UTC" + r.Start.Format("-07:00")
}

// stamp formats an offset as the CLI does: 2024-01-15 10:54 -07:00.
func (r *Run) stamp(t int64) string { return r.Time(t).Format("2006-01-02 15:04 -07:00") }

// clock formats an offset as a short local time: Jan 15 10:54.
func (r *Run) clock(t int64) string { return r.Time(t).Format("Jan 2 15:04") }

// tickStep is a candidate distance between labelled ticks.
type tickStep struct {
	d      time.Duration // for steps under a month
	months int           // for steps of months
	minor  time.Duration // minor ticks between labelled ones (0: none)
}

var tickSteps = []tickStep{
	{d: time.Minute}, {d: 2 * time.Minute, minor: time.Minute}, {d: 5 * time.Minute, minor: time.Minute},
	{d: 10 * time.Minute, minor: 5 * time.Minute}, {d: 15 * time.Minute, minor: 5 * time.Minute},
	{d: 30 * time.Minute, minor: 10 * time.Minute}, {d: time.Hour, minor: 15 * time.Minute},
	{d: 2 * time.Hour, minor: 30 * time.Minute}, {d: 3 * time.Hour, minor: time.Hour},
	{d: 6 * time.Hour, minor: time.Hour}, {d: 12 * time.Hour, minor: 3 * time.Hour},
	{d: 24 * time.Hour, minor: 6 * time.Hour}, {d: 48 * time.Hour, minor: 24 * time.Hour},
	{d: 7 * 24 * time.Hour, minor: 24 * time.Hour}, {d: 14 * 24 * time.Hour, minor: 7 * 24 * time.Hour},
	{months: 1}, {months: 2}, {months: 3}, {months: 6}, {months: 12},
}

// maxTimeTicks bounds the labelled ticks on a slide-wide time axis.
const maxTimeTicks = 16

// timeTicker labels a time axis whose values are offsets from start, in
// the scenario's zone, on local-clock boundaries.
type timeTicker struct{ run *Run }

func (tt timeTicker) Ticks(min, max float64) []plot.Tick {
	return timeTicks(tt.run, min, max, maxTimeTicks)
}

// timeTicks are at most about maxTicks labelled ticks (and minor ones)
// between offsets min and max, on local-clock boundaries.
func timeTicks(r *Run, min, max float64, maxTicks int) []plot.Tick {
	from, to := r.Time(int64(min)), r.Time(int64(max)+1)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		n := 0.0
		if s.months > 0 {
			n = (max - min) / (float64(s.months) * 30 * 86400)
		} else {
			n = (max - min) / s.d.Seconds()
		}
		if n <= float64(maxTicks) {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	off := func(t time.Time) float64 { return float64(t.Sub(r.Start) / time.Second) }
	in := func(v float64) bool { return v >= min && v <= max }
	loc := r.Start.Location()
	if step.months > 0 {
		t := time.Date(from.Year(), 1, 1, 0, 0, 0, 0, loc)
		prevYear := -1
		for ; !t.After(to); t = t.AddDate(0, step.months, 0) {
			if v := off(t); in(v) {
				label := t.Format("Jan")
				if t.Year() != prevYear {
					label = t.Format("Jan\n2006")
				}
				prevYear = t.Year()
				ticks = append(ticks, plot.Tick{Value: v, Label: label})
			}
		}
		return ticks
	}
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	if step.d >= 7*24*time.Hour { // weeks start on Monday
		day = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	}
	prevDate, prevYear := "", -1
	for t := day; !t.After(to); t = t.Add(step.d) {
		if step.minor > 0 {
			for m := t.Add(step.minor); m.Before(t.Add(step.d)); m = m.Add(step.minor) {
				if v := off(m); in(v) {
					ticks = append(ticks, plot.Tick{Value: v})
				}
			}
		}
		v := off(t)
		if !in(v) {
			continue
		}
		var label string
		if step.d < 24*time.Hour {
			label = t.Format("15:04")
			if d := t.Format("Jan 2"); d != prevDate {
				label += "\n" + d
				prevDate = d
			}
		} else {
			label = t.Format("Jan 2")
			if t.Year() != prevYear {
				label += "\n" + t.Format("2006")
				prevYear = t.Year()
			}
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// timeAxis sets p's x axis to window w of run r, with dates.
func timeAxis(p *plot.Plot, r *Run, w Window) {
	p.X.Min, p.X.Max = float64(w.From), float64(w.To)
	p.X.Tick.Marker = timeTicker{r}
	p.X.Label.Text = "time (" + r.zoneName() + ", the scenario's zone)"
}
