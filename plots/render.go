package plots

import (
	"fmt"
	"io"
	"path"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Drawable is a chart ready to render: a *plot.Plot, or a chart of two
// stacked panels (LiveChart).
type Drawable interface {
	Draw(c draw.Canvas)
}

// Render draws p at width × height as "svg" or "png" to w. SVG does not
// embed fonts (it names Liberation Sans), so the same plot gives the same
// bytes; PNG is rendered at PNGDPI.
func Render(w io.Writer, p Drawable, format string, width, height vg.Length) error {
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch format {
	case "svg":
		c = vgsvg.New(width, height)
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(PNGDPI))}
	default:
		return fmt.Errorf("plots: cannot render %q: use svg or png", format)
	}
	p.Draw(draw.New(c))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("plots: writing %s: %w", format, err)
	}
	return nil
}

// Charts are the charts' names, in the order they are written.
var Charts = []string{"timeline", "live", "impact", "renewal"}

// Chart builds the named chart of r with its defaults; entity chooses the
// renewal chart's entity ("" for DefaultRenewalEntity).
func Chart(r *Run, name, entity string) (Drawable, error) {
	switch name {
	case "timeline":
		return Timeline(r, TimelineOptions{})
	case "live":
		return LiveChart(r, Options{})
	case "impact":
		return ServiceImpact(r, Options{})
	case "renewal":
		return RenewalDetail(r, entity)
	case RevocationChartName:
		return RevocationChart(r)
	}
	return nil, fmt.Errorf("plots: no chart %q: the charts are %s", name, strings.Join(Charts, ", "))
}

// ParseFileName reads a chart file name such as "timeline.svg" or
// "out/renewal.png" into the chart's name and format.
func ParseFileName(file string) (chart, format string, err error) {
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	ext := path.Ext(base)
	chart, format = strings.TrimSuffix(base, ext), strings.ToLower(strings.TrimPrefix(ext, "."))
	if format != "svg" && format != "png" {
		return "", "", fmt.Errorf("plots: %s: the extension chooses the format: .svg or .png", file)
	}
	for _, c := range Charts {
		if c == chart {
			return chart, format, nil
		}
	}
	if chart == RevocationChartName {
		return chart, format, nil
	}
	return "", "", fmt.Errorf("plots: %s: the name chooses the chart: %s", file, strings.Join(Charts, ", "))
}
