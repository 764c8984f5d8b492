package plots_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/plots"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// report is what the test reads of report.json.
type report struct {
	Start   string `json:"start"`
	Horizon int64  `json:"horizon_seconds"`
	Cliffs  []struct {
		Offset   int64    `json:"offset_seconds"`
		Root     string   `json:"root"`
		Roots    []string `json:"roots"`
		BoundBy  string   `json:"bound_by"`
		Tokens   int      `json:"tokens_revoked"`
		Leases   int      `json:"leases_revoked"`
		Replaced int      `json:"replaced_revoked"`
	} `json:"cliffs"`
	Outages []struct {
		Service string `json:"service"`
		From    int64  `json:"from_offset_seconds"`
		To      int64  `json:"to_offset_seconds"`
	} `json:"outages"`
	Impacts []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"impact_windows"`
	Services []struct {
		Service string  `json:"service"`
		Failed  float64 `json:"failed_requests"`
	} `json:"services"`
	Entities []struct {
		ID       string  `json:"id"`
		Kind     string  `json:"kind"`
		Issued   string  `json:"issued_at"`
		Ended    *string `json:"ended_at"`
		Replaced *string `json:"replaced_at"`
		Capped   *struct {
			Offset int64 `json:"offset_seconds"`
		} `json:"first_capped_renewal"`
	} `json:"entities"`
}

// One count per instant: every chart of every library scenario, drawn
// from events.jsonl alone, says what report.json says — each live line
// step for step against the report's entities, each drop at a cliff
// against the cliff's counts, every title number, each service's outages
// and failed requests, each entity's first capped renewal.
//
// testdata/renew-on-the-edge.yaml adds the edge the library misses: a
// renewal landing exactly on the hard end, which Vault does not warn of.
func TestChartsAgreeWithReport(t *testing.T) {
	names := []string{"testdata/renew-on-the-edge.yaml"}
	for _, entry := range scenarios.List() {
		names = append(names, entry.Name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.Load(name)
			require.NoError(t, err)
			res := sim.New(s, sim.Options{RecordLog: true}).Run()
			var ev, js bytes.Buffer
			require.NoError(t, sim.WriteEventsJSONL(&ev, res))
			require.NoError(t, sim.WriteReportJSON(&js, res, sim.EntitiesAll))
			var rep report
			require.NoError(t, json.Unmarshal(js.Bytes(), &rep))
			r, err := plots.ReadEvents(&ev)
			require.NoError(t, err)
			start, err := time.Parse(time.RFC3339, rep.Start)
			require.NoError(t, err)
			off := func(s string) int64 {
				tm, err := time.Parse(time.RFC3339, s)
				require.NoError(t, err)
				return int64(tm.Sub(start) / time.Second)
			}

			checkLive(t, r, &rep, off)
			checkTitles(t, r, &rep)
			checkImpact(t, r, &rep, off)
			checkRenewals(t, r, &rep, off)
		})
	}
}

// checkLive compares the live chart's lines with counts made from the
// report's entities, and its drops at cliffs with the cliffs' counts.
func checkLive(t *testing.T, r *plots.Run, rep *report, off func(string) int64) {
	whole := r.Whole()
	steps := plots.LiveSteps(r, whole)
	// The report's count, after every change at each instant.
	var want [3]map[int64]int
	for i := range want {
		want[i] = map[int64]int{}
	}
	for _, e := range rep.Entities {
		inUse := plots.LiveCreds
		if e.Kind != "lease" {
			inUse = plots.LiveTokens
		}
		want[inUse][off(e.Issued)]++
		switch {
		case e.Replaced != nil:
			want[inUse][off(*e.Replaced)]--
			want[plots.LiveReplaced][off(*e.Replaced)]++
			if e.Ended != nil {
				want[plots.LiveReplaced][off(*e.Ended)]--
			}
		case e.Ended != nil:
			want[inUse][off(*e.Ended)]--
		}
	}
	drops := map[int64][3]int{} // the report's ends at each cliff instant: tokens, leases in use; replaced
	for _, c := range rep.Cliffs {
		d := drops[c.Offset]
		drops[c.Offset] = [3]int{d[0] + c.Tokens, d[1] + c.Leases, d[2] + c.Replaced}
	}
	for i, pts := range steps {
		label := []string{"tokens in use", "credentials in use", "replaced, still valid"}[i]
		// The chart's value after each instant (the last point at it).
		got := map[int64]float64{}
		for _, p := range pts {
			got[p.T] = p.V
		}
		times := make([]int64, 0, len(want[i]))
		for tm := range want[i] {
			times = append(times, tm)
		}
		slices.Sort(times)
		v := 0
		for _, tm := range times {
			before := v
			v += want[i][tm]
			if v != before || tm == whole.From {
				gv, ok := got[tm]
				if !ok || gv != float64(v) {
					t.Fatalf("%s at t=%d: the report counts %d, the chart has %v (a point there: %t)", label, tm, v, gv, ok)
				}
			}
		}
		for tm, gv := range got {
			if _, ok := want[i][tm]; !ok && tm != whole.From && tm != whole.To {
				t.Fatalf("%s: the chart changes at t=%d (to %v), the report does not", label, tm, gv)
			}
		}
		// Drops: the fall to the low point at an instant is the cliffs' count there,
		// and there is no drop in use of two or more without a cliff (what was
		// replaced ends routinely: it is counted only at a cliff).
		for j := 1; j < len(pts); j++ {
			if pts[j].T == pts[j-1].T {
				continue
			}
			low := pts[j].V
			for k := j; k < len(pts) && pts[k].T == pts[j].T; k++ {
				low = min(low, pts[k].V)
			}
			fall := int(pts[j-1].V - low)
			d, cliff := drops[pts[j].T]
			switch {
			case cliff:
				assert.Equal(t, d[i], max(fall, 0), "%s: drop at cliff t=%d", label, pts[j].T)
			case fall >= 2 && i != plots.LiveReplaced:
				t.Errorf("%s: a drop of %d at t=%d, where the report has no cliff", label, fall, pts[j].T)
			}
		}
		for tm, d := range drops {
			if d[i] > 0 && !slices.ContainsFunc(pts, func(p plots.Point) bool { return p.T == tm }) {
				t.Errorf("%s: the report's cliff at t=%d ended %d, the chart shows no drop", label, tm, d[i])
			}
		}
	}
}

// countPhrase is the report's counts as the titles word them.
func countPhrase(tokens, leases int) string {
	n := func(k int, w string) string {
		if k == 1 {
			return "1 " + w
		}
		return fmt.Sprintf("%d %ss", k, w)
	}
	switch {
	case tokens == 0:
		return n(leases, "credential")
	case leases == 0:
		return n(tokens, "token")
	}
	return n(tokens, "token") + " and " + n(leases, "credential")
}

func checkTitles(t *testing.T, r *plots.Run, rep *report) {
	w, _ := r.FocusWindow()
	live, timeline := plots.LiveTitle(r, w), plots.TimelineTitle(r)
	if len(rep.Cliffs) == 0 {
		assert.True(t, strings.HasPrefix(live, "No cliff"), live)
		assert.True(t, strings.HasPrefix(timeline, "No cliff"), timeline)
		return
	}
	big := rep.Cliffs[0]
	tokens, leases := 0, 0
	for _, c := range rep.Cliffs {
		if c.Tokens+c.Leases > big.Tokens+big.Leases {
			big = c
		}
		tokens, leases = tokens+c.Tokens, leases+c.Leases
	}
	at := r.Time(big.Offset).Format("2006-01-02 15:04 -07:00")
	assert.Contains(t, live, countPhrase(big.Tokens, big.Leases)+" in use ended at "+at, "the live title names the largest cliff")
	assert.Contains(t, live, big.Root)
	if big.BoundBy != "operator" {
		assert.Contains(t, live, big.BoundBy, "and its layer")
	}
	assert.Contains(t, timeline, countPhrase(tokens, leases), "the timeline title totals the cliffs")
}

// thousands is the titles' number format: 2,851,500.
func thousands(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func checkImpact(t *testing.T, r *plots.Run, rep *report, off func(string) int64) {
	im := plots.ImpactSeries(r, r.Whole())
	require.Len(t, im.Failed, len(rep.Services))
	total := 0.0
	for i, s := range rep.Services {
		assert.InDelta(t, s.Failed, im.Failed[i], 0.001+1e-9*s.Failed, "%s: failed requests", s.Service)
		total += s.Failed
		var want []plots.Window
		for _, o := range rep.Outages {
			if o.Service == s.Service {
				want = append(want, plots.Window{From: o.From, To: o.To})
			}
		}
		assert.Equal(t, want, im.Outages[i], "%s: outages", s.Service)
	}
	var want []plots.Window
	for _, w := range rep.Impacts {
		want = append(want, plots.Window{From: off(w.From), To: off(w.To)})
	}
	assert.Equal(t, want, im.Windows, "impact windows")
	title := plots.ImpactTitle(r, im)
	if total == 0 {
		assert.True(t, strings.HasPrefix(title, "No failed requests"), title)
	} else {
		assert.True(t, strings.HasPrefix(title, thousands(total)+" failed requests"), "%q: the report's total is %s", title, thousands(total))
	}
}

// checkRenewals: the renewal chart's first capped renewal (its title's
// "Vault capped its renewals from", its first capped marker) is the
// report's, and its end the report's.
func checkRenewals(t *testing.T, r *plots.Run, rep *report, off func(string) int64) {
	for _, e := range rep.Entities {
		if e.Kind == "lease" {
			continue // the same rule; tokens are what the chart defaults to
		}
		rn, err := plots.RenewalSeries(r, e.ID)
		require.NoError(t, err)
		want := plots.None
		if e.Capped != nil {
			want = e.Capped.Offset
		}
		assert.Equal(t, want, rn.CappedFrom, "%s: first capped renewal", e.ID)
		if len(rn.Capped) > 0 && !rn.Zoomed {
			assert.Equal(t, want, rn.Capped[0].T, "%s: first capped marker", e.ID)
		}
		ent, _ := r.Entity(e.ID)
		end := plots.None
		if e.Ended != nil {
			end = off(*e.Ended)
		}
		assert.Equal(t, end, ent.Ended, "%s: end", e.ID)
	}
}
