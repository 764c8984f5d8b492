package plots

import (
	"cmp"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The charts draw their legend, titles and marker labels outside the data
// area. gonum reserves room for glyphs that stick out of the data area
// (GlyphBoxer), so each of these pieces is a plotter that declares a
// glyph box as large as itself on the side it draws: the data area shrinks
// to make room, and nothing is drawn over data.

// ---- side panel (legend and keys, right of the data) ----

type itemKind int

const (
	itemHeading itemKind = iota
	itemNote
	itemBar
	itemLine
	itemGlyph
	itemNumbered
	itemShade
	itemBand // a summarised series: band in the line's colour
)

// legendItem is one entry of the side panel.
type legendItem struct {
	kind   itemKind
	text   string
	bar    BarStyle
	line   draw.LineStyle
	glyph  draw.GlyphStyle
	number string
}

// sidePanel is the legend, right of the data area.
type sidePanel struct {
	items    []legendItem
	minWidth vg.Length // room kept even if the items need less (to align stacked panels)
}

const (
	panelGap   = 14 // points between data and panel
	thumbWidth = 24 // points for the sample of each entry
	panelWrap  = 190
	edgeMargin = 12 // points kept clear at the canvas's left and right edges
)

func (sp *sidePanel) styles(size vg.Length) (body, head text.Style) {
	return textStyle(sans, size, ink), textStyle(bold, size, ink)
}

// layout wraps every entry and returns the panel's width and height.
func (sp *sidePanel) layout(size vg.Length) (w, h vg.Length, lines [][]string) {
	body, head := sp.styles(size)
	lineH := size * 1.25
	for i, it := range sp.items {
		sty, wrap, indent := body, vg.Length(panelWrap), vg.Length(thumbWidth)
		switch it.kind {
		case itemHeading:
			sty, indent = head, 0
		case itemNote:
			indent = 0
		}
		ls := wrapText(sty, it.text, wrap)
		lines = append(lines, ls)
		for _, l := range ls {
			w = max(w, indent+sty.Width(l))
		}
		if it.kind == itemHeading && i > 0 {
			h += lineH * 0.6
		}
		h += lineH * vg.Length(len(ls))
	}
	return w, h, lines
}

// panelSizes are the font sizes tried, largest first, until the panel
// fits beside the data.
var panelSizes = []vg.Length{smallSize, 7, 6}

func (sp *sidePanel) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	if len(sp.items) == 0 {
		return nil
	}
	w, _, _ := sp.layout(panelSizes[0])
	w = max(w, sp.minWidth)
	return []plot.GlyphBox{{X: 1, Y: 0.5, Rectangle: vg.Rectangle{Max: vg.Point{X: panelGap + w + edgeMargin}}}}
}

func (sp *sidePanel) Plot(c draw.Canvas, _ *plot.Plot) {
	if len(sp.items) == 0 {
		return
	}
	size := panelSizes[0]
	_, h, lines := sp.layout(size)
	for _, s := range panelSizes[1:] {
		if h <= c.Max.Y-c.Min.Y {
			break
		}
		size = s
		_, h, lines = sp.layout(size)
	}
	body, head := sp.styles(size)
	lineH := size * 1.25
	x0, y := c.Max.X+panelGap, c.Max.Y

	for i, it := range sp.items {
		if it.kind == itemHeading && i > 0 {
			y -= lineH * 0.6
		}
		sty, tx := body, x0+thumbWidth
		if it.kind == itemHeading {
			sty = head
		}
		if it.kind == itemHeading || it.kind == itemNote {
			tx = x0
		}
		sty.YAlign = draw.YCenter
		mid := y - lineH/2
		thumb := vg.Rectangle{Min: vg.Point{X: x0, Y: mid - size*0.4}, Max: vg.Point{X: x0 + thumbWidth - 6, Y: mid + size*0.4}}
		drawThumb(c, it, thumb, body)
		for _, l := range lines[i] {
			c.FillText(sty, vg.Point{X: tx, Y: y - lineH/2}, l)
			y -= lineH
		}
	}
}

func drawThumb(c draw.Canvas, it legendItem, r vg.Rectangle, sty text.Style) {
	mid := (r.Min.Y + r.Max.Y) / 2
	switch it.kind {
	case itemBar:
		if it.bar == Idle {
			r.Min.Y, r.Max.Y = mid-r.Size().Y*idleHeight/barHeight/2, mid+r.Size().Y*idleHeight/barHeight/2
		}
		fillBar(c, r, it.bar)
	case itemLine:
		c.StrokeLine2(it.line, r.Min.X, mid, r.Max.X, mid)
	case itemGlyph:
		c.DrawGlyphNoClip(it.glyph, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: mid})
	case itemShade:
		c.SetColor(shadeGrey)
		c.Fill(rectPath(r))
	case itemBand:
		c.SetColor(bandFill(it.line.Color))
		c.Fill(rectPath(r))
		edge := draw.LineStyle{Color: it.line.Color, Width: vg.Points(0.8)}
		c.StrokeLine2(edge, r.Min.X, r.Min.Y, r.Max.X, r.Min.Y)
		c.StrokeLine2(edge, r.Min.X, r.Max.Y, r.Max.X, r.Max.Y)
	case itemNumbered:
		h := sty.Height(it.number) + 1
		numberBox(c, sty, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: mid - h/2}, it.number)
	}
}

// wrapText breaks s into lines no wider than w (a word longer than w gets
// a line of its own).
func wrapText(sty text.Style, s string, w vg.Length) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	cur := words[0]
	for _, word := range words[1:] {
		if sty.Width(cur+" "+word) > w {
			lines = append(lines, cur)
			cur = word
			continue
		}
		cur += " " + word
	}
	return append(lines, cur)
}

// ---- header (title, subtitle and marker labels, above the data) ----

// marker is a vertical line at an instant: a cliff (labelled in the upper
// band) or an annotation (numbered in the lower band, its text in the
// side panel).
type marker struct {
	t      int64
	label  string // upper band; "" for none
	number string // lower band; "" for none
	rug    bool   // too many to label: a tick in the lower band only
	line   draw.LineStyle
}

// header draws the title and subtitle, the marker labels above the data,
// and the markers' lines across the data area.
type header struct {
	title, subtitle string
	markers         []marker
	panel           *sidePanel // beside the data: the title may run above it
}

// titleStyle is the title's style, its size shrunk (to 11 points at
// least) if the title is wider than room.
func (h *header) titleStyle(room vg.Length) text.Style {
	ts := textStyle(bold, titleSize, ink)
	if w := ts.Width(h.title); room > 0 && w > room {
		ts.Font.Size = max(11, ts.Font.Size*room/w)
	}
	return ts
}

const (
	leaderHeight = 7 // points of slanted leader between line and label
	labelGap     = 4 // points between labels in a band
)

func (h *header) bands() (upper, lower bool) {
	for _, m := range h.markers {
		upper = upper || m.label != ""
		lower = lower || m.number != "" || m.rug
	}
	return upper, lower
}

func (h *header) heights() (title, subtitle, upper, lower vg.Length) {
	ts := textStyle(bold, titleSize, ink)
	title = ts.Height(h.title) + 4
	if h.subtitle != "" {
		subtitle = textStyle(sans, subtitleSize, softInk).Height(h.subtitle) + 6
	}
	u, l := h.bands()
	if u {
		upper = leaderHeight + textStyle(bold, smallSize, ink).Height("Mg") + 2
	}
	if l {
		lower = leaderHeight + textStyle(bold, smallSize, ink).Height("8") + 4
	}
	return
}

func (h *header) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	t, s, u, l := h.heights()
	return []plot.GlyphBox{{X: 0.5, Y: 1, Rectangle: vg.Rectangle{Max: vg.Point{Y: t + s + u + l + 4}}}}
}

func (h *header) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	th, sh, uh, lh := h.heights()
	top := c.Max.Y + th + sh + uh + lh + 4
	room := c.Max.X - c.Min.X
	if h.panel != nil && len(h.panel.items) > 0 {
		pw, _, _ := h.panel.layout(panelSizes[0])
		room += panelGap + pw
	}
	ts := h.titleStyle(room)
	ts.YAlign = draw.YTop
	c.FillText(ts, vg.Point{X: c.Min.X, Y: top}, h.title)
	if h.subtitle != "" {
		ss := textStyle(sans, subtitleSize, softInk)
		ss.YAlign = draw.YTop
		c.FillText(ss, vg.Point{X: c.Min.X, Y: top - th - 2}, h.subtitle)
	}
	lowerBase := c.Max.Y + 2
	upperBase := lowerBase + lh
	labelSty := textStyle(bold, smallSize, ink)

	var lowIdx, upIdx []int
	for i, m := range h.markers {
		if !c.ContainsX(x(float64(m.t))) {
			continue
		}
		if m.number != "" {
			lowIdx = append(lowIdx, i)
		}
		if m.label != "" {
			upIdx = append(upIdx, i)
		}
	}
	// Lines first, labels over them. A marker too many to label is a
	// solid tick in the lower band instead of a line across the data, one
	// per half point, all in one path: thousands of them cost one raster
	// pass (dashed full-height lines cost a minute).
	var rug vg.Path
	var rugLine draw.LineStyle
	lastX := vg.Length(math.Inf(-1))
	for _, m := range h.markers {
		xi := x(float64(m.t))
		if !c.ContainsX(xi) {
			continue
		}
		if m.rug {
			if xi-lastX >= 0.5 || xi < lastX {
				rug.Move(vg.Point{X: xi, Y: lowerBase})
				rug.Line(vg.Point{X: xi, Y: lowerBase + leaderHeight})
				lastX = xi
			}
			rugLine = m.line
			continue
		}
		topY := c.Max.Y
		switch {
		case m.label != "":
			topY = upperBase
		case m.number != "":
			topY = lowerBase
		}
		c.StrokeLine2(m.line, xi, c.Min.Y, xi, topY)
	}
	if len(rug) > 0 {
		rugLine.Dashes, rugLine.Width = nil, vg.Points(0.5)
		c.SetLineStyle(rugLine)
		c.Stroke(rug)
	}
	place := func(idx []int, base vg.Length, text func(marker) string, boxed bool) {
		groups := groupLabels(h.markers, idx, x, text, labelSty)
		xs := make([]vg.Length, len(groups))
		ws := make([]vg.Length, len(groups))
		for g, grp := range groups {
			xs[g], ws[g] = grp.anchor, grp.width
		}
		centres := spread(xs, ws, c.Min.X, c.Max.X+panelGap, labelGap)
		for g, grp := range groups {
			pt := vg.Point{X: centres[g], Y: base + leaderHeight}
			for _, i := range grp.members {
				leader := h.markers[i].line
				leader.Dashes = nil
				leader.Width = min(leader.Width, vg.Points(0.8))
				c.StrokeLines(leader, []vg.Point{{X: x(float64(h.markers[i].t)), Y: base}, pt})
			}
			if boxed {
				numberBox(c, labelSty, pt, grp.text)
				continue
			}
			ls := labelSty
			ls.XAlign = draw.XCenter
			knockout(c, ls, pt, grp.text)
			c.FillText(ls, pt, grp.text)
		}
	}
	place(lowIdx, lowerBase, func(m marker) string { return m.number }, true)
	place(upIdx, upperBase, func(m marker) string { return m.label }, false)
}

// labelGroup is one label drawn for one or more markers.
type labelGroup struct {
	text    string
	members []int     // marker indices
	anchor  vg.Length // mean x of the members' lines
	width   vg.Length
}

// groupLabels gives each marker of idx its label, except that markers
// with the same text whose labels would collide (the replay's cliffs, all
// "system.max_lease_ttl 768h") share one, with a leader to each line.
func groupLabels(ms []marker, idx []int, x func(float64) vg.Length, text func(marker) string, sty text.Style) []labelGroup {
	sorted := append([]int(nil), idx...)
	slices.SortStableFunc(sorted, func(a, b int) int { return cmp.Compare(ms[a].t, ms[b].t) })
	var groups []labelGroup
	var lastX vg.Length
	for _, i := range sorted {
		t, xi := text(ms[i]), x(float64(ms[i].t))
		w := sty.Width(t) + 6
		if n := len(groups); n > 0 && groups[n-1].text == t && xi-lastX < w+labelGap {
			g := &groups[n-1]
			g.anchor = (g.anchor*vg.Length(len(g.members)) + xi) / vg.Length(len(g.members)+1)
			g.members = append(g.members, i)
		} else {
			groups = append(groups, labelGroup{text: t, members: []int{i}, anchor: xi, width: w})
		}
		lastX = xi
	}
	return groups
}

// numberBox draws a number in a small white box with a border; pt is the
// middle of its bottom edge.
func numberBox(c draw.Canvas, sty text.Style, pt vg.Point, s string) {
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YBottom
	sty.Font.Weight = bold.Weight
	w, h := sty.Width(s)+5, sty.Height(s)+1
	r := vg.Rectangle{Min: vg.Point{X: pt.X - w/2, Y: pt.Y}, Max: vg.Point{X: pt.X + w/2, Y: pt.Y + h}}
	c.SetColor(color.White)
	c.Fill(rectPath(r))
	c.StrokeLines(draw.LineStyle{Color: softInk, Width: vg.Points(0.6)}, rectPoints(r))
	c.FillText(sty, vg.Point{X: pt.X, Y: pt.Y + 0.5}, s)
}

// knockout clears a white box behind a label centred at pt.
func knockout(c draw.Canvas, sty text.Style, pt vg.Point, s string) {
	w, h := sty.Width(s)+4, sty.Height(s)
	c.SetColor(color.White)
	c.Fill(rectPath(vg.Rectangle{Min: vg.Point{X: pt.X - w/2, Y: pt.Y}, Max: vg.Point{X: pt.X + w/2, Y: pt.Y + h}}))
}

// spread places labels of widths ws as close as possible to their
// anchors xs (sorted or not) without overlapping, inside [lo, hi]: it
// returns each label's centre. Overlapping labels form a cluster centred
// on its anchors; clusters merge until none overlap.
func spread(xs, ws []vg.Length, lo, hi, gap vg.Length) []vg.Length {
	n := len(xs)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// Stable insertion sort by anchor: n is small and ties keep input order.
	for i := 1; i < n; i++ {
		for j := i; j > 0 && xs[order[j]] < xs[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	type cluster struct {
		first, last int // positions in order
		left, width vg.Length
	}
	place := func(cl *cluster) {
		var sum vg.Length
		off := vg.Length(0)
		for k := cl.first; k <= cl.last; k++ {
			i := order[k]
			sum += xs[i] - off - ws[i]/2
			off += ws[i] + gap
		}
		cl.width = off - gap
		cl.left = sum / vg.Length(cl.last-cl.first+1)
		cl.left = max(lo, min(cl.left, hi-cl.width))
	}
	var cls []cluster
	for k := range order {
		cl := cluster{first: k, last: k}
		place(&cl)
		for len(cls) > 0 {
			prev := &cls[len(cls)-1]
			if prev.left+prev.width+gap <= cl.left {
				break
			}
			cl.first = prev.first
			cls = cls[:len(cls)-1]
			place(&cl)
		}
		cls = append(cls, cl)
	}
	centres := make([]vg.Length, n)
	for _, cl := range cls {
		x := cl.left
		for k := cl.first; k <= cl.last; k++ {
			i := order[k]
			centres[i] = x + ws[i]/2
			x += ws[i] + gap
		}
	}
	return centres
}

// ---- timeline lanes ----

const (
	barHeight  = 0.62 // of a lane
	idleHeight = 0.18
	laneIndent = 11 // points per level of the hierarchy
)

// lanesPlotter draws the timeline's lanes: group bands, bars, hard ends,
// and the lane labels left of the data.
type lanesPlotter struct {
	lanes []Lane
}

func (lp *lanesPlotter) labelStyle(l Lane, size vg.Length) text.Style {
	f := sans
	if l.Depth == 0 {
		f = bold
	}
	sty := textStyle(f, size, ink)
	sty.YAlign = draw.YCenter
	return sty
}

func (lp *lanesPlotter) labelWidth() vg.Length {
	var w vg.Length
	for _, l := range lp.lanes {
		w = max(w, vg.Length(l.Depth)*laneIndent+lp.labelStyle(l, smallSize).Width(lanePrefix(l)+l.Label))
	}
	return w + 8
}

func lanePrefix(l Lane) string {
	if l.Depth == 0 {
		return ""
	}
	return "└ "
}

func (lp *lanesPlotter) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	w := lp.labelWidth()
	return []plot.GlyphBox{{X: 0, Y: 0.5, Rectangle: vg.Rectangle{Min: vg.Point{X: -w - edgeMargin}, Max: vg.Point{X: 0}}}}
}

// laneY is the centre of lane i of n (the first lane on top).
func laneY(i, n int) float64 { return float64(n - 1 - i) }

func (lp *lanesPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	x, y := p.Transforms(&c)
	n := len(lp.lanes)
	// Alternate bands for each root's group, so hierarchies read as blocks.
	group := -1
	for i, l := range lp.lanes {
		if l.Depth == 0 {
			group++
		}
		if group%2 == 1 {
			r := vg.Rectangle{Min: vg.Point{X: c.Min.X - lp.labelWidth(), Y: y(laneY(i, n) - 0.5)}, Max: vg.Point{X: c.Max.X, Y: y(laneY(i, n) + 0.5)}}
			c.SetColor(bandGrey)
			c.Fill(rectPath(r))
		}
	}
	clip := func(t int64) vg.Length { return max(c.Min.X, min(c.Max.X, x(float64(t)))) }
	for style := Idle; style < numBarStyles; style++ {
		for i, l := range lp.lanes {
			h := barHeight
			if style == Idle {
				h = idleHeight
			}
			yc := laneY(i, n)
			for _, b := range l.Bars {
				if b.Style != style {
					continue
				}
				r := vg.Rectangle{Min: vg.Point{X: clip(b.From), Y: y(yc - h/2)}, Max: vg.Point{X: clip(b.To), Y: y(yc + h/2)}}
				if r.Max.X-r.Min.X < 0.6 { // keep a sliver visible
					r.Max.X = r.Min.X + 0.6
				}
				fillBar(c, r, style)
				if !l.Merged && style != Idle {
					c.StrokeLines(draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}, rectPoints(r))
				}
			}
		}
	}
	// Labels shrink with the lanes so that they never overlap.
	size := min(vg.Length(smallSize), (y(1)-y(0))*0.9)
	for i, l := range lp.lanes {
		yc := laneY(i, n)
		if len(l.HardEnds) > maxNumberedMarkers {
			drawHardEndTicks(c, l.HardEnds, x, y(yc), y(yc+0.5)-y(yc))
		} else {
			for _, t := range l.HardEnds {
				if !c.ContainsX(x(float64(t))) {
					continue
				}
				drawHardEnd(c, vg.Point{X: x(float64(t)), Y: y(yc)}, y(yc+0.5)-y(yc))
			}
		}
		sty := lp.labelStyle(l, size)
		c.FillText(sty, vg.Point{X: c.Min.X - lp.labelWidth() + vg.Length(l.Depth)*laneIndent, Y: y(yc)}, lanePrefix(l)+l.Label)
	}
}

// drawHardEnd marks a token's hard end: a black bar across the lane with
// a small flag on top, so it reads without colour.
func drawHardEnd(c draw.Canvas, pt vg.Point, half vg.Length) {
	sty := draw.LineStyle{Color: black, Width: vg.Points(1.6)}
	c.StrokeLine2(sty, pt.X, pt.Y-half*0.85, pt.X, pt.Y+half*0.85)
	tri := []vg.Point{{X: pt.X - 3, Y: pt.Y + half*0.85 + 3.5}, {X: pt.X + 3, Y: pt.Y + half*0.85 + 3.5}, {X: pt.X, Y: pt.Y + half*0.85}}
	c.FillPolygon(black, tri)
}

// drawHardEndTicks marks a lane's many hard ends (sorted) as thin black
// ticks over the lane's upper half, one per half point, in one path: a
// flag each would paint the lane black and cost a raster pass each.
func drawHardEndTicks(c draw.Canvas, ts []int64, x func(float64) vg.Length, yc, half vg.Length) {
	var path vg.Path
	last := vg.Length(math.Inf(-1))
	for _, t := range ts {
		xi := x(float64(t))
		if !c.ContainsX(xi) || xi-last < 0.5 {
			continue
		}
		path.Move(vg.Point{X: xi, Y: yc})
		path.Line(vg.Point{X: xi, Y: yc + half*0.85})
		last = xi
	}
	if len(path) > 0 {
		c.SetLineStyle(draw.LineStyle{Color: black, Width: vg.Points(0.4)})
		c.Stroke(path)
	}
}

// hardEndThumb draws the hard-end mark for the legend.
type hardEndThumb struct{}

func (hardEndThumb) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	drawHardEnd(*c, pt, sty.Radius)
}

// barColor is each style's fill.
var barColor = [numBarStyles]color.Color{
	Idle: idleGrey, Replaced: skyBlue, Alive: blue, Expired: orange,
	HardEnd: vermillion, Operator: bluishGreen, Cascade: reddishPurple,
}

// fillBar fills r in style s: colour, plus a pattern for the styles whose
// colours are close in greyscale.
func fillBar(c draw.Canvas, r vg.Rectangle, s BarStyle) {
	c.SetColor(barColor[s])
	c.Fill(rectPath(r))
	hatch := draw.LineStyle{Color: ink, Width: vg.Points(0.6)}
	switch s {
	case Cascade:
		hatchLines(c, r, hatch, 1)
	case Operator:
		hatchLines(c, r, hatch, 1)
		hatchLines(c, r, hatch, -1)
	case Expired:
		hatch.Color = color.White
		hatch.Width = vg.Points(0.9)
		hatchLines(c, r, hatch, 0)
	}
}

// hatchLines strokes parallel lines inside r: slope 1 or -1 (diagonal) or
// 0 (vertical), 3.5 points apart.
func hatchLines(c draw.Canvas, r vg.Rectangle, sty draw.LineStyle, slope float64) {
	const step = 3.5
	w, h := float64(r.Max.X-r.Min.X), float64(r.Max.Y-r.Min.Y)
	if w <= 0 || h <= 0 {
		return
	}
	var lines [][]vg.Point
	if slope == 0 {
		for x := step / 2; x < w; x += step {
			lines = append(lines, []vg.Point{{X: r.Min.X + vg.Length(x), Y: r.Min.Y}, {X: r.Min.X + vg.Length(x), Y: r.Max.Y}})
		}
		c.StrokeLines(sty, lines...)
		return
	}
	// Lines x - slope*y = k, for k across the rectangle, clipped to it.
	kmin, kmax := math.Min(0, -slope*h), math.Max(w, w-slope*h)
	for k := math.Ceil(kmin/step) * step; k <= kmax; k += step {
		var pts []vg.Point
		for _, yy := range []float64{0, h} { // crossings of bottom and top
			if xx := k + slope*yy; xx >= 0 && xx <= w {
				pts = append(pts, vg.Point{X: r.Min.X + vg.Length(xx), Y: r.Min.Y + vg.Length(yy)})
			}
		}
		for _, xx := range []float64{0, w} { // crossings of left and right
			if yy := (xx - k) / slope; yy > 0 && yy < h {
				pts = append(pts, vg.Point{X: r.Min.X + vg.Length(xx), Y: r.Min.Y + vg.Length(yy)})
			}
		}
		if len(pts) >= 2 {
			lines = append(lines, pts[:2])
		}
	}
	c.StrokeLines(sty, lines...)
}

func rectPath(r vg.Rectangle) vg.Path {
	var p vg.Path
	p.Move(r.Min)
	p.Line(vg.Point{X: r.Max.X, Y: r.Min.Y})
	p.Line(r.Max)
	p.Line(vg.Point{X: r.Min.X, Y: r.Max.Y})
	p.Close()
	return p
}

func rectPoints(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min}
}

// ---- shaded spans (outage windows) ----

type shades struct {
	spans []Window
}

func (s *shades) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	for _, w := range s.spans {
		x0, x1 := max(c.Min.X, x(float64(w.From))), min(c.Max.X, x(float64(w.To)))
		if x1 <= x0 {
			continue
		}
		x1 = max(x1, x0+1)
		c.SetColor(shadeGrey)
		c.Fill(rectPath(vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}))
	}
}

// ---- summarised series ----

// rangeBand draws a summarised series: a band from the lowest to the
// highest value in each range, edged in the series' line style.
type rangeBand struct {
	ranges []Range
	line   draw.LineStyle
}

func (b *rangeBand) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for _, r := range b.ranges {
		xmin, xmax = math.Min(xmin, float64(r.From)), math.Max(xmax, float64(r.To))
		ymin, ymax = math.Min(ymin, r.Min), math.Max(ymax, r.Max)
	}
	return
}

func (b *rangeBand) Plot(c draw.Canvas, p *plot.Plot) {
	if len(b.ranges) == 0 {
		return
	}
	x, y := p.Transforms(&c)
	var upper, lower []vg.Point
	for _, r := range b.ranges {
		x0, x1 := x(float64(r.From)), x(float64(r.To))
		upper = append(upper, vg.Point{X: x0, Y: y(r.Max)}, vg.Point{X: x1, Y: y(r.Max)})
		lower = append(lower, vg.Point{X: x0, Y: y(r.Min)}, vg.Point{X: x1, Y: y(r.Min)})
	}
	poly := append([]vg.Point(nil), upper...)
	for i := len(lower) - 1; i >= 0; i-- {
		poly = append(poly, lower[i])
	}
	c.FillPolygon(bandFill(b.line.Color), c.ClipPolygonXY(poly))
	edge := b.line
	edge.Width, edge.Dashes = min(edge.Width, vg.Points(0.8)), nil // dashes on a ragged edge are noise
	c.StrokeLines(edge, c.ClipLinesXY(upper)...)
	c.StrokeLines(edge, c.ClipLinesXY(lower)...)
}

// bandFill is a translucent tint of a series colour.
func bandFill(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0x60}
}
