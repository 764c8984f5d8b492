// Package plots draws the charts of a leasesim run from its event log.
//
// The input is events.jsonl (docs/run-report.md), never the simulator: a
// chart shows what a run recorded, so a saved run can be drawn again without
// its scenario and the charts cannot disagree with the report. ReadEvents
// parses the log into a Run, plain data in processing order.
//
// Each chart is built in two steps:
//
//   - a pure function turns the Run into the chart's data series, plain
//     slices of numbers and labels (TimelineLanes, LiveSeries, ImpactSeries,
//     RenewalSeries); the tests golden these as text;
//   - a builder draws those series on a *plot.Plot (Timeline, LiveEntities,
//     ServiceImpact, RenewalDetail).
//
// Render writes a plot as SVG or PNG to an io.Writer; nothing in this
// package opens a file.
//
// Conventions:
//
//   - Times are int64 seconds from the run's start, as in the log; dates
//     are shown in the scenario's zone.
//   - Output is deterministic: no map iteration reaches a chart, no wall
//     clock is read, and the same Run renders to the same SVG bytes.
//   - Styles are set on each plot; gonum's package-level defaults
//     (plot.DefaultFont and friends) are read, never changed.
//   - The palette is Okabe–Ito, and every colour also differs in fill
//     pattern, dash or marker, so each chart reads in greyscale and for
//     colour-blind viewers.
package plots
