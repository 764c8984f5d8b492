package plots

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Point is a value at an instant (seconds from the run's start). In a
// step series it holds from T until the next point.
type Point struct {
	T int64
	V float64
}

// Series is a named line of a chart. A series with more steps than a
// slide can show (maxSeriesPoints) is summarised instead: Points is nil
// and Ranges holds its lowest and highest value in each of rangeBuckets
// equal spans of the window.
type Series struct {
	Label  string
	Points []Point
	Ranges []Range
}

// Range is the lowest and highest value of a series from From to To.
type Range struct {
	From, To int64
	Min, Max float64
}

const (
	maxSeriesPoints = 1500
	rangeBuckets    = 500
)

// summarise returns the series as is if it is short enough, else as
// ranges per bucket of w. The first point is at w.From.
func summarise(label string, pts []Point, w Window) Series {
	s := summariser{w: w}
	for _, p := range pts {
		s.add(p)
	}
	return s.series(label)
}

// summariser summarises a series point by point, in time order: a live
// count over a fleet's year has millions of steps, and it never holds
// them. Each bucket's range spans the step in force at its start and
// every point inside it.
type summariser struct {
	w      Window
	n      int
	pts    []Point // while there are at most maxSeriesPoints
	ranges []Range
	b      int64 // the bucket being filled: cur
	cur    Range
	last   float64 // the last point's value
}

func (s *summariser) add(p Point) {
	s.n++
	switch {
	case s.n <= maxSeriesPoints:
		s.pts = append(s.pts, p)
		return
	case s.n == maxSeriesPoints+1: // too many: ranges from here on
		s.b = -1
		s.open()
		for _, q := range s.pts {
			s.bucket(q)
		}
		s.pts = nil
	}
	s.bucket(p)
}

// open moves on to the next bucket that spans any time, whose step in
// force at its start is the last point's.
func (s *summariser) open() {
	span := s.w.To - s.w.From
	for s.b++; s.b < rangeBuckets; s.b++ {
		from, to := s.w.From+span*s.b/rangeBuckets, s.w.From+span*(s.b+1)/rangeBuckets
		if to > from {
			s.cur = Range{From: from, To: to, Min: s.last, Max: s.last}
			return
		}
	}
}

func (s *summariser) bucket(p Point) {
	for s.b < rangeBuckets && p.T >= s.cur.To {
		s.ranges = append(s.ranges, s.cur)
		s.open()
	}
	switch {
	case s.b >= rangeBuckets:
	case p.T <= s.cur.From: // the step in force at its start, so far
		s.cur.Min, s.cur.Max = p.V, p.V
	default:
		s.cur.Min, s.cur.Max = min(s.cur.Min, p.V), max(s.cur.Max, p.V)
	}
	s.last = p.V
}

// series is the summarised series: its points, or its ranges if there
// were more than maxSeriesPoints.
func (s *summariser) series(label string) Series {
	if s.n <= maxSeriesPoints {
		return Series{Label: label, Points: s.pts}
	}
	for s.b < rangeBuckets {
		s.ranges = append(s.ranges, s.cur)
		s.open()
	}
	return Series{Label: label, Ranges: s.ranges}
}

// delta is a change of a count at an instant. An end is something in
// the count ending: the changes at one instant are applied ends first, as
// the run processed them (the backend's expiries before the clients that
// react to them), so a cliff its holders recover from in the same second
// still shows as a drop.
type delta struct {
	t   int64
	d   int
	end bool
}

// stepsOf turns changes into a step series over w: the value at w.From
// (every change up to and including it), one point per later instant
// that changes the value, and a last point at w.To. Where ends at an
// instant take the count lower than the changes after them leave it, the
// low point comes first, at the same instant: the drop, then the recovery.
func stepsOf(ds []delta, w Window) []Point {
	slices.SortStableFunc(ds, func(a, b delta) int { return cmp.Compare(a.t, b.t) })
	var pts []Point
	sortedSteps(len(ds), func(i int) delta { return ds[i] }, w, func(p Point) { pts = append(pts, p) })
	return pts
}

// sortedSteps is stepsOf of n changes already in time order, the i-th
// given by at, handing each point to emit.
func sortedSteps(n int, at func(i int) delta, w Window, emit func(Point)) {
	v, i := 0, 0
	for ; i < n && at(i).t <= w.From; i++ {
		v += at(i).d
	}
	last := Point{w.From, float64(v)}
	emit(last)
	add := func(t int64, v int) {
		if float64(v) != last.V {
			last = Point{t, float64(v)}
			emit(last)
		}
	}
	for i < n && at(i).t <= w.To {
		t, ends, rest := at(i).t, 0, 0
		for ; i < n && at(i).t == t; i++ {
			if d := at(i); d.end {
				ends += d.d
			} else {
				rest += d.d
			}
		}
		if ends < 0 && rest > 0 {
			add(t, v+ends)
		}
		v += ends + rest
		add(t, v)
	}
	if last.T != w.To {
		emit(Point{w.To, float64(v)})
	}
}

// Live series, in LiveSeries' order.
const (
	LiveTokens   = iota // tokens in use
	LiveCreds           // credentials in use
	LiveReplaced        // tokens and credentials replaced by their holder, still valid
)

// liveDeltas calls f with the changes of live count which (LiveTokens,
// LiveCreds or LiveReplaced). Something is in use from its issue until its
// holder replaces it or it ends; replaced, it stays valid until its own
// end. Only an end of something in use can make a drop: a replacement
// moves it from in use to replaced, and its end then is routine turnover,
// harming nobody (the report's cliffs count the same way).
func liveDeltas(r *Run, which int, f func(t int64, d int, end bool)) {
	for _, e := range r.ents.all() {
		replaced, ended := e.replaced.t(), e.ended.t()
		if which == LiveReplaced {
			if replaced != None {
				f(replaced, +1, false)
				if ended != None {
					f(ended, -1, true)
				}
			}
			continue
		}
		if e.isToken() != (which == LiveTokens) {
			continue
		}
		f(e.issued.t(), +1, false)
		switch {
		case replaced != None:
			f(replaced, -1, false)
		case ended != None:
			f(ended, -1, true)
		}
	}
}

// liveSteps hands emit the steps of one live count over window w. A year of a fleet makes
// millions of changes: each is packed into an int64 (the instant times 4,
// plus 0 for +1, 1 for -1, 2 for an end; instants are under 10^18, the
// reader's bound), counted before they are kept, and sorted as numbers.
func liveSteps(r *Run, which int, w Window, emit func(Point)) {
	n := 0
	liveDeltas(r, which, func(int64, int, bool) { n++ })
	packed := make([]int64, 0, n)
	liveDeltas(r, which, func(t int64, d int, end bool) {
		code := int64(0)
		switch {
		case end:
			code = 2
		case d < 0:
			code = 1
		}
		packed = append(packed, t*4+code)
	})
	slices.Sort(packed)
	sortedSteps(len(packed), func(i int) delta {
		d := delta{t: packed[i] / 4, d: +1}
		switch packed[i] % 4 {
		case 1:
			d.d = -1
		case 2:
			d.d, d.end = -1, true
		}
		return d
	}, w, emit)
}

// LiveSteps are the live counts over window w, unsummarised: tokens in
// use, credentials in use, and what was replaced but is still valid.
func LiveSteps(r *Run, w Window) [3][]Point {
	var out [3][]Point
	for i := range out {
		liveSteps(r, i, w, func(p Point) { out[i] = append(out[i], p) })
	}
	return out
}

// LiveSeries counts what is alive over window w: tokens (child tokens
// included) and credentials in use, and what their holders replaced but
// is still valid. Together they are everything alive. A cliff shows as a
// drop of the in-use lines at one instant. Each count is summarised before
// the next is computed.
func LiveSeries(r *Run, w Window) []Series {
	var out []Series
	for i, label := range []string{"tokens in use", "credentials in use", "replaced, still valid"} {
		s := summariser{w: w}
		liveSteps(r, i, w, s.add)
		out = append(out, s.series(label))
	}
	return out
}

// Impact is the service-impact chart's data.
type Impact struct {
	// Rates are failed requests per second, one series per service in
	// the header's order: demand × failing replicas / replicas.
	Rates []Series
	// Windows are the spans in which some service failed, over the whole
	// run, overlapping ones merged; To is the horizon if still failing.
	Windows []Window
	// Outages are each service's own failing spans, over the whole run.
	Outages [][]Window
	// Failed are the failed requests of each service over the whole run.
	Failed []float64
}

// ImpactSeries computes failed requests per second per service over
// window w, and the outage windows and failed requests of the whole run.
func ImpactSeries(r *Run, w Window) Impact {
	var im Impact
	var all []Window
	for _, s := range r.Services {
		rate := func(failing int) float64 { return s.DemandPerSecond * float64(failing) / float64(s.Replicas) }
		var ds []delta
		prev := 0
		for _, st := range s.Steps {
			ds = append(ds, delta{t: st.T, d: st.Failing - prev})
			prev = st.Failing
		}
		pts := stepsOf(ds, w)
		for i := range pts {
			pts[i].V = rate(int(pts[i].V))
		}
		im.Rates = append(im.Rates, summarise(s.Name, pts, w))
		outages, failed := serviceOutages(s, r.Horizon, rate)
		im.Outages = append(im.Outages, outages)
		im.Failed = append(im.Failed, failed)
		all = append(all, outages...)
	}
	slices.SortFunc(all, func(a, b Window) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	for _, o := range all {
		if n := len(im.Windows); n > 0 && o.From <= im.Windows[n-1].To {
			im.Windows[n-1].To = max(im.Windows[n-1].To, o.To)
			continue
		}
		im.Windows = append(im.Windows, o)
	}
	return im
}

// serviceOutages returns the spans in which some replica of s failed and
// the requests that failed in them.
func serviceOutages(s Service, horizon int64, rate func(int) float64) ([]Window, float64) {
	var out []Window
	failed := 0.0
	for i, st := range s.Steps {
		next := horizon
		if i+1 < len(s.Steps) {
			next = s.Steps[i+1].T
		}
		if st.Failing == 0 || next <= st.T {
			continue
		}
		failed += float64(rate(st.Failing) * float64(next-st.T)) // no fused multiply-add: same sum on every CPU
		if n := len(out); n > 0 && out[n-1].To == st.T {
			out[n-1].To = next
		} else {
			out = append(out, Window{st.T, next})
		}
	}
	return out, failed
}

// Renewal is the renewal-detail chart's data for one entity.
type Renewal struct {
	Entity string
	Window Window // the span drawn
	Zoomed bool   // Window is the last part of a long life
	// Remaining is the TTL left over time: it jumps at each grant and
	// falls one second per second until the next (a saw-tooth).
	Remaining []Point
	// Ceiling is the time left to the hard end; empty without one.
	Ceiling []Point
	// Renewals are the renewals (not the issue) and the TTL each granted;
	// Capped are those Vault warned it cut short at the hard end.
	Renewals, Capped []Point
	Failed           []int64 // refused renewals, in the window
	MaxTTL           int64   // the longest TTL granted
	CappedFrom       int64   // the first capped renewal (report.json first_capped_renewal), or None
	CappedBy         string  // the layer named by the first capped grant
}

// DefaultRenewalEntity is the entity the renewal chart shows by default:
// the root of the first cliff, else the first token, else the first entity.
func DefaultRenewalEntity(r *Run) (string, error) {
	if len(r.Cliffs) > 0 {
		if _, ok := r.Entity(r.Cliffs[0].Root); ok {
			return r.Cliffs[0].Root, nil
		}
	}
	for i, e := range r.ents.all() {
		if e.isToken() {
			return r.ents.id(int32(i)), nil
		}
	}
	if r.ents.n > 0 {
		return r.ents.id(0), nil
	}
	return "", fmt.Errorf("plots: the run issued no token or credential")
}

// zoomLives: an entity living more than this many times its longest TTL
// is shown over its last zoomShown TTLs, where renewals meet the ceiling.
const (
	zoomLives = 8
	zoomShown = 4
)

// RenewalSeries computes the renewal detail of entity id.
func RenewalSeries(r *Run, id string) (Renewal, error) {
	e, ok := r.Entity(id)
	if !ok {
		return Renewal{}, fmt.Errorf("plots: no entity %q in the run%s", id, suggestEntities(r))
	}
	if !e.kept {
		return Renewal{}, fmt.Errorf("plots: the renewals of %q were not kept when the log was read (ReadOptions.KeepGrants)", id)
	}
	rn := Renewal{Entity: id, CappedFrom: None}
	end := e.Ended
	if end == None {
		end = r.Horizon
	}
	for _, g := range e.Grants {
		rn.MaxTTL = max(rn.MaxTTL, g.TTL)
	}
	rn.Window = Window{e.Issued(), max(end, e.Issued()+1)}
	if life := end - e.Issued(); rn.MaxTTL > 0 && life > zoomLives*rn.MaxTTL {
		rn.Window.From = max(e.Issued(), end-zoomShown*rn.MaxTTL)
		rn.Zoomed = true
	}
	var saw []Point
	for i, g := range e.Grants {
		next := end
		if i+1 < len(e.Grants) {
			next = e.Grants[i+1].T
		}
		if g.Expire == None {
			continue // it never expires: no TTL left to draw
		}
		saw = append(saw, Point{g.T, float64(g.Expire - g.T)}, Point{next, float64(max(g.Expire-next, 0))})
		if g.Expire < next { // expired before the next grant: flat at zero
			saw = slices.Insert(saw, len(saw)-1, Point{g.Expire, 0})
		}
		// Capped is Vault's word, as in the report: a renewal that reaches
		// the hard end exactly is granted in full, without a warning.
		capped := g.Capped && i > 0
		if i > 0 && rn.Window.contains(g.T) {
			rn.Renewals = append(rn.Renewals, Point{g.T, float64(g.TTL)})
			if capped {
				rn.Capped = append(rn.Capped, Point{g.T, float64(g.TTL)})
			}
		}
		if capped && rn.CappedFrom == None {
			rn.CappedFrom, rn.CappedBy = g.T, g.BoundBy
		}
	}
	if e.Ended != None && len(saw) > 0 && saw[len(saw)-1].V > 0 { // revoked with TTL left
		saw = append(saw, Point{e.Ended, 0})
	}
	rn.Remaining = clipPolyline(saw, rn.Window)
	if e.HardEnd != None {
		to := min(rn.Window.To, e.HardEnd)
		rn.Ceiling = []Point{{rn.Window.From, float64(e.HardEnd - rn.Window.From)}, {to, float64(e.HardEnd - to)}}
	}
	for _, t := range e.FailedRenewals {
		if rn.Window.contains(t) {
			rn.Failed = append(rn.Failed, t)
		}
	}
	return rn, nil
}

// clipPolyline keeps the part of a polyline inside w, interpolating at its
// edges. Points must be in time order (equal times allowed: jumps).
func clipPolyline(pts []Point, w Window) []Point {
	var out []Point
	for i, p := range pts {
		if i > 0 {
			q := pts[i-1]
			for _, edge := range []int64{w.From, w.To} {
				if q.T < edge && edge < p.T {
					f := float64(edge-q.T) / float64(p.T-q.T)
					out = append(out, Point{edge, q.V + float64(f*(p.V-q.V))}) // unfused, as above
				}
			}
		}
		if w.contains(p.T) {
			out = append(out, p)
		}
	}
	return out
}

func suggestEntities(r *Run) string {
	var toks []string
	for i, e := range r.ents.all() {
		if e.isToken() && e.gen == 1 {
			toks = append(toks, r.ents.id(int32(i)))
		}
		if len(toks) == 5 {
			toks = append(toks, "…")
			break
		}
	}
	if len(toks) == 0 {
		return ""
	}
	return "; tokens include " + strings.Join(toks, ", ")
}
