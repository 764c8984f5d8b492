package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/plots"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim/sweep"
)

// heatmapGrid is the chart's data for a sweep's heatmap: the averages,
// which cells are lower bounds, the horizon and seeds for the subtitle,
// and words for a 0 that means "unset": "unset (768h)", with the value it
// falls back to as the scenario's backend resolves it (model.ResolveMount).
func heatmapGrid(s *scenarios.Scenario, g sweep.Grid, h *sweep.Heatmap) plots.HeatmapGrid {
	swept := append(g.Paths(), "seed")
	out := plots.HeatmapGrid{Scenario: s.Name, Metric: h.Metric, X: h.X, Y: h.Y,
		XValues: h.XValues, YValues: h.YValues, Mean: h.Mean, Censored: h.Censored, Seeds: g.Seeds.Len()}
	if !slices.Contains(swept, "horizon") {
		out.Horizon = s.Horizon.String()
		if day := model.Duration(24 * model.Hour); s.Horizon%day == 0 {
			out.Horizon += fmt.Sprintf(" (%d days)", s.Horizon/day)
		}
	}
	label := func(path string, values []string) []string {
		labels := make([]string, len(values))
		for i, v := range values {
			if v == "0" || v == "0s" || v == "0h" {
				labels[i] = unsetLabel(s, path, swept)
			}
		}
		return labels
	}
	out.XLabels, out.YLabels = label(h.X, h.XValues), label(h.Y, h.YValues)
	return out
}

// unsetLabel says what a 0 at path falls back to: a role's TTL or max to
// its mount's (or the server's), a mount's to the server's, the server's
// to Vault's built-in 768h. "" for a path whose 0 means something else;
// plain "unset" when the layer it falls back to is swept too (the value
// then depends on the other axis).
func unsetLabel(s *scenarios.Scenario, path string, swept []string) string {
	field := path[strings.LastIndexByte(path, '.')+1:]
	isMax := field == "token_max_ttl" || field == "max_ttl" || field == "max_lease_ttl"
	isDefault := field == "token_ttl" || field == "default_ttl" || field == "default_lease_ttl"
	if !isMax && !isDefault {
		return ""
	}
	sysField := "backend.default_lease_ttl"
	if isMax {
		sysField = "backend.max_lease_ttl"
	}
	mount := "" // a mount's own value falls back to the server's
	switch {
	case path == "backend.max_lease_ttl" || path == "backend.default_lease_ttl":
		return "unset (" + model.DefaultSystemTTL.String() + ")"
	case strings.HasPrefix(path, "backend.mounts."):
	case strings.HasPrefix(path, "roles."):
		name := strings.TrimSuffix(strings.TrimPrefix(path, "roles."), "."+field)
		for _, r := range s.Roles {
			if r.Name == name {
				mount = r.Mount
			}
		}
		if mount == "" {
			return ""
		}
		mountField := "backend.mounts." + mount + ".default_lease_ttl"
		if isMax {
			mountField = "backend.mounts." + mount + ".max_lease_ttl"
		}
		if slices.Contains(swept, mountField) {
			return "unset"
		}
	default:
		return ""
	}
	m := model.Mount{Path: mount}
	for _, bm := range s.Backend.Mounts {
		if bm.Path == mount {
			m = bm
		}
	}
	own := m.DefaultLeaseTTL
	if isMax {
		own = m.MaxLeaseTTL
	}
	if own == 0 && slices.Contains(swept, sysField) {
		return "unset"
	}
	v := model.ResolveMount(s.Backend.System, m)
	if isMax {
		return "unset (" + v.Max.Value.String() + ")"
	}
	return "unset (" + v.Default.Value.String() + ")"
}
