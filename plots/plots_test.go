package plots_test

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/plots"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// events runs a library scenario and returns its events.jsonl, once per
// scenario for the whole test binary. Only the tests reach for the
// simulator: the package itself reads nothing but the log.
func events(t *testing.T, name string) []byte {
	t.Helper()
	eventsOnce.Lock()
	defer eventsOnce.Unlock()
	if b, ok := eventsCache[name]; ok {
		return b
	}
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	res := sim.New(s, sim.Options{RecordLog: true}).Run()
	var buf bytes.Buffer
	require.NoError(t, sim.WriteEventsJSONL(&buf, res))
	eventsCache[name] = buf.Bytes()
	return buf.Bytes()
}

var (
	eventsOnce  sync.Mutex
	eventsCache = map[string][]byte{}
)

func readRun(t *testing.T, name string) *plots.Run {
	t.Helper()
	r, err := plots.ReadEvents(bytes.NewReader(events(t, name)))
	require.NoError(t, err)
	return r
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: go test ./plots -update writes it")
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := 0; i < max(len(wl), len(gl)); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("%s differs from line %d (go test ./plots -update rewrites it; review the diff)\nwant: %s\ngot:  %s", path, i+1, w, g)
			}
		}
	}
}

// The golden scenarios: the replay (three cliffs, 14 annotations, a
// zoomed window), the simplest cliff (child tokens, aggregated lanes), a
// lease cap cliff (no hard end on the token) and a cascade from a short
// parent.
var goldenScenarios = []string{"jan-2024-replay", "default-max-cliff", "lease-own-cap", "short-parent",
	"staging-vs-production", "testdata/revoke-orphan.yaml", "testdata/short-incident.yaml"}

// TestSeriesGolden pins the data every chart draws, as text: lanes and
// bars, markers, live counts, failed-request rates, the renewal saw-tooth
// and the titles. Every number is an integer or an exact division, so the
// text is the same on every CPU.
func TestSeriesGolden(t *testing.T) {
	for _, name := range goldenScenarios {
		t.Run(name, func(t *testing.T) {
			r := readRun(t, name)
			var b strings.Builder
			require.NoError(t, dumpSeries(&b, r))
			golden(t, strings.TrimSuffix(filepath.Base(name), ".yaml")+".series.golden", []byte(b.String()))
		})
	}
}

func dumpSeries(b *strings.Builder, r *plots.Run) error {
	at := func(t int64) string { return fmt.Sprintf("%d (%s)", t, r.Time(t).Format("Jan 2 15:04:05")) }
	w, why := r.FocusWindow()
	fmt.Fprintf(b, "# %s, seed %d: the data each chart draws. go test ./plots -update rewrites this file.\n", r.Scenario, r.Seed)
	fmt.Fprintf(b, "window %s .. %s  %q\n", at(w.From), at(w.To), why)
	if zw, zwhy, ok := r.IncidentZoom(w); ok {
		fmt.Fprintf(b, "live chart's zoom panel %s .. %s  %q\n", at(zw.From), at(zw.To), zwhy)
	}
	fmt.Fprintln(b)

	fmt.Fprintf(b, "timeline: %s\n", plots.TimelineTitle(r))
	lanes, _, err := plots.TimelineLanes(r, plots.TimelineOptions{})
	if err != nil {
		return err
	}
	for _, l := range lanes {
		fmt.Fprintf(b, "lane %s%s  kind=%s replicas=%d entities=%d merged=%t orphan=%t\n", strings.Repeat("  ", l.Depth), l.Label, l.Kind, l.Replicas, l.Entities, l.Merged, l.Orphan)
		for _, bar := range l.Bars {
			fmt.Fprintf(b, "    bar %-8s %s .. %s\n", bar.Style, at(bar.From), at(bar.To))
		}
		for _, h := range l.HardEnds {
			fmt.Fprintf(b, "    hard end %s\n", at(h))
		}
	}
	for _, m := range plots.Markers(r, func(t int64) bool { return t >= w.From && t <= w.To }) {
		kind := "annotation"
		switch {
		case m.Cliff:
			kind = "cliff"
		case m.Script:
			kind = "script"
		}
		fmt.Fprintf(b, "marker %s %d at %s: %s\n    legend: %s\n", kind, m.Number, at(m.T), m.Label, m.Text)
	}

	fmt.Fprintf(b, "\nlive: %s\n", plots.LiveTitle(r, w))
	for _, s := range plots.LiveSeries(r, w) {
		dumpPoints(b, s, at)
	}

	im, spans := plots.ImpactView(r, w)
	fmt.Fprintf(b, "\nimpact\n")
	for _, o := range im.Windows {
		fmt.Fprintf(b, "outage window %s .. %s\n", at(o.From), at(o.To))
	}
	for _, sp := range spans {
		fmt.Fprintf(b, "span shown %s .. %s\n", at(sp.From), at(sp.To))
	}
	for i, s := range im.Rates {
		fmt.Fprintf(b, "failed %s %.0f in %d outages\n", s.Label, im.Failed[i], len(im.Outages[i]))
		dumpPoints(b, s, at)
	}

	id, err := plots.DefaultRenewalEntity(r)
	if err != nil {
		return err
	}
	rn, err := plots.RenewalSeries(r, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "\nrenewal %s window %s .. %s zoomed=%t max ttl %d capped from %d by %q\n",
		rn.Entity, at(rn.Window.From), at(rn.Window.To), rn.Zoomed, rn.MaxTTL, rn.CappedFrom, rn.CappedBy)
	for _, s := range []plots.Series{{Label: "remaining", Points: rn.Remaining}, {Label: "ceiling", Points: rn.Ceiling},
		{Label: "renewals", Points: rn.Renewals}, {Label: "capped", Points: rn.Capped}} {
		dumpPoints(b, s, at)
	}
	return nil
}

func dumpPoints(b *strings.Builder, s plots.Series, at func(int64) string) {
	fmt.Fprintf(b, "  series %q\n", s.Label)
	for _, p := range s.Points {
		fmt.Fprintf(b, "    %s  %.3f\n", at(p.T), p.V)
	}
	for _, r := range s.Ranges {
		fmt.Fprintf(b, "    %s .. %s  %.3f..%.3f\n", at(r.From), at(r.To), r.Min, r.Max)
	}
}

// Issue 4's acceptance: the replay's timeline shows its three cliffs,
// labelled with the binding layer, and the published annotations at their
// minutes.
func TestReplayTimelineMarkers(t *testing.T) {
	r := readRun(t, "jan-2024-replay")
	w, why := r.FocusWindow()
	assert.Contains(t, why, "around its cliffs and annotations")
	var cliffs, notes []string
	for _, m := range plots.Markers(r, func(t int64) bool { return t >= w.From && t <= w.To }) {
		s := r.Time(m.T).Format("2006-01-02 15:04") + " " + m.Label
		if m.Cliff {
			cliffs = append(cliffs, s)
		} else {
			notes = append(notes, r.Time(m.T).Format("Jan 2 15:04"))
		}
	}
	assert.Equal(t, []string{
		"2024-01-15 10:54 system.max_lease_ttl 768h",
		"2024-01-16 08:55 system.max_lease_ttl 768h",
		"2024-01-16 15:54 system.max_lease_ttl 768h",
	}, cliffs)
	assert.Equal(t, []string{
		"Jan 15 10:54", "Jan 15 10:57", "Jan 15 11:24", "Jan 15 12:23", "Jan 15 12:57", "Jan 15 13:12",
		"Jan 16 08:55", "Jan 16 09:08", "Jan 16 09:15", "Jan 16 12:09",
		"Jan 16 15:53", "Jan 16 15:54", "Jan 16 16:05", "Jan 16 16:19",
	}, notes)
	assert.Equal(t, "-07:00", r.Start.Format("-07:00"), "dates are in the scenario's zone")
	assert.Equal(t, "3 cliffs on Jan 15–16 2024 revoked 5 tokens and 39 credentials — system.max_lease_ttl 768h", plots.TimelineTitle(r))

	// The failed requests of the plotted rates add up to the report's.
	im := plots.ImpactSeries(r, w)
	total := 0.0
	for _, f := range im.Failed {
		total += f
	}
	assert.Equal(t, 2851500.0, total)
	assert.Len(t, im.Windows, 3)
}

func TestDefaultMaxCliffTitle(t *testing.T) {
	r := readRun(t, "default-max-cliff")
	assert.Equal(t, "All 21 tokens and 20 credentials revoked at 2024-01-15 10:54 -07:00 — system.max_lease_ttl 768h", plots.TimelineTitle(r))
	lanes, _, err := plots.TimelineLanes(r, plots.TimelineOptions{})
	require.NoError(t, err)
	var labels []string
	for _, l := range lanes {
		labels = append(labels, fmt.Sprintf("%d %s", l.Depth, l.Label))
	}
	assert.Equal(t, []string{"0 broker", "1 core-api.token ×20", "2 core-api.credential ×20"}, labels, "20 replicas aggregate above the threshold of 5")
	lanes, _, err = plots.TimelineLanes(r, plots.TimelineOptions{Aggregate: -1})
	require.NoError(t, err)
	assert.Len(t, lanes, 41, "without aggregation: the broker, 20 child-token lanes, 20 credential lanes")
}

// SVG output is deterministic: two runs read separately render to the
// same bytes, and no font is embedded.
func TestRenderSVGDeterministic(t *testing.T) {
	for _, name := range []string{"jan-2024-replay", "lease-own-cap"} {
		for _, chart := range plots.Charts {
			t.Run(name+"/"+chart, func(t *testing.T) {
				render := func() []byte {
					p, err := plots.Chart(readRun(t, name), chart, "")
					require.NoError(t, err)
					var buf bytes.Buffer
					require.NoError(t, plots.Render(&buf, p, "svg", plots.SlideWidth, plots.SlideHeight))
					return buf.Bytes()
				}
				a, b := render(), render()
				require.True(t, bytes.Equal(a, b), "two renders of the same run differ")
				assert.True(t, bytes.HasPrefix(a, []byte("<?xml")), "an SVG document")
				assert.NotContains(t, string(a), "@font-face", "fonts are named, not embedded")
			})
		}
	}
}

// PNG is for eyes, not goldens: it decodes at slide size and is not blank.
func TestRenderPNG(t *testing.T) {
	p, err := plots.Timeline(readRun(t, "lease-own-cap"), plots.TimelineOptions{})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, plots.Render(&buf, p, "png", plots.SlideWidth, plots.SlideHeight))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	assert.Equal(t, 1920, img.Bounds().Dx())
	assert.Equal(t, 1080, img.Bounds().Dy())
	coloured := 0
	for y := 0; y < 1080; y += 10 {
		for x := 0; x < 1920; x += 10 {
			r, g, b, _ := img.At(x, y).RGBA()
			if r != g || g != b {
				coloured++
			}
		}
	}
	assert.Greater(t, coloured, 1000, "bars drawn in colour")

	err = plots.Render(&buf, p, "pdf", plots.SlideWidth, plots.SlideHeight)
	assert.ErrorContains(t, err, "use svg or png")
}

func TestChartsAndFileNames(t *testing.T) {
	r := readRun(t, "short-parent")
	for _, c := range plots.Charts {
		_, err := plots.Chart(r, c, "")
		assert.NoError(t, err, c)
	}
	_, err := plots.Chart(r, "pie", "")
	assert.ErrorContains(t, err, "timeline, live, impact, renewal")
	_, err = plots.Chart(r, "renewal", "nobody#1")
	assert.ErrorContains(t, err, `no entity "nobody#1"`)

	for _, tc := range []struct{ file, chart, format, err string }{
		{"timeline.svg", "timeline", "svg", ""},
		{"out/renewal.PNG", "renewal", "png", ""},
		{"live.pdf", "", "", ".svg or .png"},
		{"pie.svg", "", "", "the name chooses the chart"},
	} {
		chart, format, err := plots.ParseFileName(tc.file)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.file)
			continue
		}
		assert.NoError(t, err)
		assert.Equal(t, [2]string{tc.chart, tc.format}, [2]string{chart, format})
	}
}

// Issue 12: a 20-minute incident in a 48-hour run gets a second panel
// zoomed onto it; a run whose incidents already fill the window does not.
func TestLiveChartZoomsOntoShortIncidents(t *testing.T) {
	for name, want := range map[string]bool{"testdata/short-incident.yaml": true, "jan-2024-replay": false, "staging-vs-production": false} {
		p, err := plots.Chart(readRun(t, name), "live", "")
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, plots.Render(&buf, p, "svg", plots.SlideWidth, plots.SlideHeight))
		if want {
			assert.True(t, strings.Contains(buf.String(), ">Zoom: the incident, May 2 05:50 to May 2 06:30 (40m)<"), name)
		} else {
			assert.False(t, strings.Contains(buf.String(), ">Zoom: "), name)
		}
	}
}
