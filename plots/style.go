package plots

import (
	"image/color"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Slide size: 16:9 at 13.33 × 7.5 inches, the default slide of common
// presentation tools. PNGs are rendered at PNGDPI, 1920 × 1080 pixels.
const (
	SlideWidth  = 13.333 * vg.Inch
	SlideHeight = 7.5 * vg.Inch
	PNGDPI      = 144
)

// The Okabe–Ito palette: distinguishable with every common colour-vision
// deficiency. Lightness differs too, and each use pairs a colour with a
// pattern, dash or marker so the charts survive greyscale printing.
var (
	black         = color.RGBA{0x00, 0x00, 0x00, 0xff}
	orange        = color.RGBA{0xE6, 0x9F, 0x00, 0xff}
	skyBlue       = color.RGBA{0x56, 0xB4, 0xE9, 0xff}
	bluishGreen   = color.RGBA{0x00, 0x9E, 0x73, 0xff}
	yellow        = color.RGBA{0xF0, 0xE4, 0x42, 0xff}
	blue          = color.RGBA{0x00, 0x72, 0xB2, 0xff}
	vermillion    = color.RGBA{0xD5, 0x5E, 0x00, 0xff}
	reddishPurple = color.RGBA{0xCC, 0x79, 0xA7, 0xff}

	ink       = color.RGBA{0x22, 0x22, 0x22, 0xff} // text and axes
	softInk   = color.RGBA{0x55, 0x55, 0x55, 0xff} // secondary text
	gridGrey  = color.RGBA{0xE4, 0xE4, 0xE4, 0xff}
	idleGrey  = color.RGBA{0xB0, 0xB0, 0xB0, 0xff}
	bandGrey  = color.RGBA{0xF3, 0xF3, 0xF3, 0xff} // alternate hierarchy groups
	shadeGrey = color.RGBA{0xE8, 0xE8, 0xE8, 0xff} // outage windows
)

// seriesStyles give up to 32 distinguishable lines: colour and dash vary
// together, so neighbours differ in both.
var seriesColors = []color.Color{blue, vermillion, bluishGreen, orange, reddishPurple, skyBlue, black, yellow}

var seriesDashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
}

func seriesLine(i int) draw.LineStyle {
	return draw.LineStyle{
		Color:  seriesColors[i%len(seriesColors)],
		Width:  vg.Points(1.6),
		Dashes: seriesDashes[(i+i/len(seriesColors))%len(seriesDashes)],
	}
}

var (
	sans = font.Font{Typeface: "Liberation", Variant: "Sans"}
	bold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// Font sizes in points.
const (
	titleSize    = 15
	subtitleSize = 10
	labelSize    = 10
	tickSize     = 9
	smallSize    = 8
)

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		Handler: safeHandler, // gonum's default, over cleaned text (safetext.go)
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
	}
}

// newPlot returns a plot with leasesim's style set on this plot only.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = textStyle(bold, titleSize, ink)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(sans, labelSize, ink)
		a.Label.TextStyle.XAlign = draw.XCenter
		a.Tick.Label = textStyle(sans, tickSize, ink)
		a.LineStyle.Color = ink
		a.Tick.LineStyle.Color = ink
		a.Padding = vg.Points(4)
	}
	p.X.Tick.Label.XAlign = draw.XCenter
	p.X.Tick.Label.YAlign = draw.YTop
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.Y.Label.TextStyle.YAlign = draw.YBottom
	p.Legend.TextStyle = textStyle(sans, smallSize, ink)
	return p
}
