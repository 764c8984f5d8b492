package sweep

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/leasesim/leasesim/model"
)

// Table is a sweep's result: one row per point, in point order.
type Table struct {
	Scenario string   // the scenario's name; "" after a merge (CSV does not carry it)
	Params   []string // the swept paths: the CSV columns between grid_size and seed
	GridSize int      // points in the whole grid, of which Rows may be one shard
	Shard    Shard    // the slice Rows hold; zero for the whole grid
	Rows     []Row
}

// Row is one point's settings and metrics.
type Row struct {
	Point  int      // the point's index in the whole grid
	Values []string // one per parameter, as written
	Seed   uint64
	Metrics
}

// Column names of the metrics, in CSV order.
const (
	ColCliffs             = "cliffs"
	ColFirstCliffOffset   = "first_cliff_offset_seconds"
	ColFirstCliffBoundBy  = "first_cliff_bound_by"
	ColLargestCliff       = "largest_cliff"
	ColOutages            = "outages"
	ColOutageSeconds      = "outage_seconds"
	ColFailedRequests     = "failed_requests"
	ColEarliestHardEnd    = "earliest_hard_end_offset_seconds"
	ColSystemDefaultBound = "system_default_bound"
)

// MetricColumns lists the metric columns in CSV order.
var MetricColumns = []string{ColCliffs, ColFirstCliffOffset, ColFirstCliffBoundBy, ColLargestCliff, ColOutages,
	ColOutageSeconds, ColFailedRequests, ColEarliestHardEnd, ColSystemDefaultBound}

// NumericMetrics lists the metrics a heatmap can average.
var NumericMetrics = []string{ColCliffs, ColFirstCliffOffset, ColLargestCliff, ColOutages,
	ColOutageSeconds, ColFailedRequests, ColEarliestHardEnd, ColSystemDefaultBound}

// The CSV's leading columns.
const (
	colPoint    = "point"
	colGridSize = "grid_size"
	colSeed     = "seed"
)

// Header is the CSV header of a table with these parameters.
func Header(params []string) []string {
	h := append([]string{colPoint, colGridSize}, params...)
	h = append(h, colSeed)
	return append(h, MetricColumns...)
}

// metric returns a row's metric as a number; ok is false when it has none
// (no cliff, no hard end reached).
func (m *Metrics) metric(name string) (v float64, ok bool) {
	opt := func(p *int64) (float64, bool) {
		if p == nil {
			return 0, false
		}
		return float64(*p), true
	}
	switch name {
	case ColCliffs:
		return float64(m.Cliffs), true
	case ColFirstCliffOffset:
		return opt(m.FirstCliffOffset)
	case ColLargestCliff:
		return float64(m.LargestCliff), true
	case ColOutages:
		return float64(m.Outages), true
	case ColOutageSeconds:
		return float64(m.OutageSeconds), true
	case ColFailedRequests:
		return m.FailedRequests, true
	case ColEarliestHardEnd:
		return opt(m.EarliestHardEnd)
	case ColSystemDefaultBound:
		return float64(m.SystemDefaultBound), true
	}
	return 0, false
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// FormatFloat is the fixed formatting of failed_requests: three decimals,
// so that the CSV is byte-stable.
func FormatFloat(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func (r *Row) record(gridSize int) []string {
	rec := append([]string{strconv.Itoa(r.Point), strconv.Itoa(gridSize)}, r.Values...)
	return append(rec, strconv.FormatUint(r.Seed, 10),
		strconv.Itoa(r.Cliffs), optInt(r.FirstCliffOffset), r.FirstCliffBoundBy, strconv.Itoa(r.LargestCliff),
		strconv.Itoa(r.Outages), strconv.FormatInt(r.OutageSeconds, 10), FormatFloat(r.FailedRequests),
		optInt(r.EarliestHardEnd), strconv.Itoa(r.SystemDefaultBound))
}

// WriteCSV writes a header and one line per row. The bytes depend only on
// the rows: the same sweep gives the same file, however it was run.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header(t.Params)); err != nil {
		return err
	}
	for i := range t.Rows {
		if err := cw.Write(t.Rows[i].record(t.GridSize)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type tableJSON struct {
	Version  int       `json:"version"`
	Scenario string    `json:"scenario,omitempty"`
	Params   []string  `json:"params"`
	GridSize int       `json:"grid_size"`
	Shard    string    `json:"shard,omitempty"`
	Rows     []rowJSON `json:"rows"`
}

type rowJSON struct {
	Point              int      `json:"point"`
	Values             []string `json:"values"`
	Seed               uint64   `json:"seed"`
	Cliffs             int      `json:"cliffs"`
	FirstCliffOffset   *int64   `json:"first_cliff_offset_seconds"`
	FirstCliffBoundBy  *string  `json:"first_cliff_bound_by"`
	LargestCliff       int      `json:"largest_cliff"`
	Outages            int      `json:"outages"`
	OutageSeconds      int64    `json:"outage_seconds"`
	FailedRequests     float64  `json:"failed_requests"`
	EarliestHardEnd    *int64   `json:"earliest_hard_end_offset_seconds"`
	SystemDefaultBound int      `json:"system_default_bound"`
}

// WriteJSON writes the table as one JSON document (docs/sweep.md).
func (t *Table) WriteJSON(w io.Writer) error {
	doc := tableJSON{Version: 1, Scenario: t.Scenario, Params: t.Params, GridSize: t.GridSize, Shard: t.Shard.String(), Rows: []rowJSON{}}
	if doc.Params == nil {
		doc.Params = []string{}
	}
	for _, r := range t.Rows {
		j := rowJSON{Point: r.Point, Values: r.Values, Seed: r.Seed, Cliffs: r.Cliffs, FirstCliffOffset: r.FirstCliffOffset,
			LargestCliff: r.LargestCliff, Outages: r.Outages, OutageSeconds: r.OutageSeconds, FailedRequests: r.FailedRequests,
			EarliestHardEnd: r.EarliestHardEnd, SystemDefaultBound: r.SystemDefaultBound}
		if j.Values == nil {
			j.Values = []string{}
		}
		if r.FirstCliffBoundBy != "" {
			s := r.FirstCliffBoundBy
			j.FirstCliffBoundBy = &s
		}
		doc.Rows = append(doc.Rows, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteText writes a summary line and an aligned table for people:
// offsets and durations as 768h, "-" where there is nothing to report.
func (t *Table) WriteText(w io.Writer) error {
	var b strings.Builder
	if t.Scenario != "" {
		b.WriteString(t.Scenario + ": ")
	}
	fmt.Fprintf(&b, "%d point%s", t.GridSize, plural(t.GridSize))
	if len(t.Params) > 0 {
		b.WriteString(" (")
		for i, p := range t.Params {
			if i > 0 {
				b.WriteString(" × ")
			}
			fmt.Fprintf(&b, "%s: %d", p, len(distinct(t.Rows, i)))
		}
		fmt.Fprintf(&b, " × seeds: %d)", len(distinctSeeds(t.Rows)))
	}
	if !t.Shard.Whole() {
		fmt.Fprintf(&b, "; shard %s: %d point%s", t.Shard, len(t.Rows), plural(len(t.Rows)))
	}
	b.WriteString("\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := append([]string{"point"}, t.Params...)
	head = append(head, "seed", "cliffs", "first cliff", "bound by", "largest", "outages", "down", "failed", "earliest hard end", "sys-max bound")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	dur := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return model.Duration(*p).String()
	}
	for _, r := range t.Rows {
		by := r.FirstCliffBoundBy
		if by == "" {
			by = "-"
		}
		cells := append([]string{strconv.Itoa(r.Point)}, r.Values...)
		cells = append(cells, strconv.FormatUint(r.Seed, 10), strconv.Itoa(r.Cliffs), dur(r.FirstCliffOffset), by,
			strconv.Itoa(r.LargestCliff), strconv.Itoa(r.Outages), model.Duration(r.OutageSeconds).String(),
			FormatFloat(r.FailedRequests), dur(r.EarliestHardEnd), strconv.Itoa(r.SystemDefaultBound))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// distinct lists parameter j's values in order of first appearance.
func distinct(rows []Row, j int) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		if v := r.Values[j]; !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func distinctSeeds(rows []Row) []uint64 {
	var out []uint64
	seen := map[uint64]bool{}
	for _, r := range rows {
		if !seen[r.Seed] {
			seen[r.Seed] = true
			out = append(out, r.Seed)
		}
	}
	return out
}

// ReadCSV reads a table written by WriteCSV (a whole sweep or one shard).
func ReadCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty file; expected a sweep CSV starting with the header point,grid_size,…")
	}
	if err != nil {
		return nil, err
	}
	params, err := paramsOf(header)
	if err != nil {
		return nil, err
	}
	t := &Table{Params: params, GridSize: -1}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		row, size, err := parseRecord(rec, len(params))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if t.GridSize >= 0 && size != t.GridSize {
			return nil, fmt.Errorf("line %d: grid_size %d differs from %d above; the file mixes sweeps", line, size, t.GridSize)
		}
		t.GridSize = size
		t.Rows = append(t.Rows, row)
	}
	if t.GridSize < 0 {
		t.GridSize = 0
	}
	return t, nil
}

// paramsOf checks a CSV header and returns its parameter columns.
func paramsOf(h []string) ([]string, error) {
	n := len(h) - 3 - len(MetricColumns)
	if n < 0 || h[0] != colPoint || h[1] != colGridSize || h[2+n] != colSeed || !slices.Equal(h[3+n:], MetricColumns) {
		return nil, fmt.Errorf("not a sweep CSV: the header is %q; expected point,grid_size,PARAMETER…,seed,%s", strings.Join(h, ","), strings.Join(MetricColumns, ","))
	}
	return slices.Clone(h[2 : 2+n]), nil
}

func parseRecord(rec []string, nParams int) (Row, int, error) {
	var r Row
	var err error
	bad := func(col, v, want string) error {
		if err == nil {
			err = fmt.Errorf("column %s: %q is not %s", col, v, want)
		}
		return err
	}
	atoi := func(col, v string) int {
		n, e := strconv.Atoi(v)
		if e != nil || n < 0 {
			bad(col, v, "a non-negative integer")
		}
		return n
	}
	opt := func(col, v string) *int64 {
		if v == "" {
			return nil
		}
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil {
			bad(col, v, "an integer or empty")
		}
		return &n
	}
	r.Point = atoi(colPoint, rec[0])
	size := atoi(colGridSize, rec[1])
	r.Values = slices.Clone(rec[2 : 2+nParams])
	m := rec[3+nParams:]
	seed, e := strconv.ParseUint(rec[2+nParams], 10, 64)
	if e != nil {
		bad(colSeed, rec[2+nParams], "a seed")
	}
	r.Seed = seed
	r.Cliffs = atoi(ColCliffs, m[0])
	r.FirstCliffOffset = opt(ColFirstCliffOffset, m[1])
	r.FirstCliffBoundBy = m[2]
	r.LargestCliff = atoi(ColLargestCliff, m[3])
	r.Outages = atoi(ColOutages, m[4])
	r.OutageSeconds = int64(atoi(ColOutageSeconds, m[5]))
	if r.FailedRequests, e = strconv.ParseFloat(m[6], 64); e != nil {
		bad(ColFailedRequests, m[6], "a number")
	}
	r.EarliestHardEnd = opt(ColEarliestHardEnd, m[7])
	r.SystemDefaultBound = atoi(ColSystemDefaultBound, m[8])
	if err == nil && r.Point >= size {
		err = fmt.Errorf("point %d is outside a grid of %d points", r.Point, size)
	}
	return r, size, err
}

// Merge joins the CSVs of a sharded sweep (in any order) into the table
// of the whole sweep: its CSV is byte-identical to the unsharded sweep's.
// The inputs must share one header and grid size and hold every point
// exactly once, with the settings the grid puts there. An input with a
// Name method (an *os.File) is cited by name.
func Merge(inputs ...io.Reader) (*Table, error) {
	if len(inputs) == 0 {
		return nil, errors.New("merge: no input files; give the CSV of every shard")
	}
	var out *Table
	var firstName string
	from := map[int]string{} // point → input that holds it
	for i, in := range inputs {
		name := fmt.Sprintf("input %d", i+1)
		if n, ok := in.(interface{ Name() string }); ok {
			name = n.Name()
		}
		t, err := ReadCSV(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if out == nil {
			out, firstName = &Table{Params: t.Params, GridSize: t.GridSize}, name
		}
		if !slices.Equal(t.Params, out.Params) {
			return nil, fmt.Errorf("%s sweeps %s but %s sweeps %s; only shards of one sweep can be merged",
				name, listOrNone(t.Params), firstName, listOrNone(out.Params))
		}
		if len(t.Rows) > 0 {
			if out.GridSize == 0 && len(out.Rows) == 0 {
				out.GridSize = t.GridSize
			}
			if t.GridSize != out.GridSize {
				return nil, fmt.Errorf("%s is from a grid of %d points, the other inputs from one of %d; only shards of one sweep can be merged", name, t.GridSize, out.GridSize)
			}
		}
		for _, r := range t.Rows {
			if prev, dup := from[r.Point]; dup {
				where := "twice in " + name
				if prev != name {
					where = "in " + prev + " and in " + name
				}
				return nil, fmt.Errorf("point %d appears %s; give each shard's file once", r.Point, where)
			}
			from[r.Point] = name
			out.Rows = append(out.Rows, r)
		}
	}
	if len(out.Rows) == 0 {
		return nil, errors.New("merge: the inputs hold no points")
	}
	slices.SortFunc(out.Rows, func(a, b Row) int { return a.Point - b.Point })
	if len(out.Rows) < out.GridSize {
		var missing []string
		for i, j := 0, 0; i < out.GridSize && len(missing) <= 10; i++ {
			if j < len(out.Rows) && out.Rows[j].Point == i {
				j++
				continue
			}
			missing = append(missing, strconv.Itoa(i))
		}
		if len(missing) > 10 {
			missing = append(missing[:10], "…")
		}
		return nil, fmt.Errorf("%d of %d points are missing (%s); is a shard's file left out?", out.GridSize-len(out.Rows), out.GridSize, strings.Join(missing, ", "))
	}
	if err := checkGrid(out); err != nil {
		return nil, err
	}
	return out, nil
}

func listOrNone(ps []string) string {
	if len(ps) == 0 {
		return "no parameters"
	}
	return strings.Join(ps, ", ")
}

// checkGrid verifies that the rows, sorted by point, are the grid their
// values imply: each parameter's values (and the seeds) in order of first
// appearance, multiplied out, with every point at its place. Shards of
// different sweeps with the same columns and size fail here.
func checkGrid(t *Table) error {
	params := make([]Param, len(t.Params))
	for j, p := range t.Params {
		params[j] = Param{Path: p, Values: distinct(t.Rows, j)}
	}
	seeds := distinctSeeds(t.Rows)
	if n := combos(params) * len(seeds); n != t.GridSize {
		return fmt.Errorf("the rows' settings make a grid of %d points, not %d; the inputs mix sweeps", n, t.GridSize)
	}
	for _, r := range t.Rows {
		c, s := r.Point/len(seeds), r.Point%len(seeds)
		if r.Seed != seeds[s] {
			return fmt.Errorf("point %d has seed %d where the grid has %d; the inputs mix sweeps", r.Point, r.Seed, seeds[s])
		}
		for j, vi := range valueIndices(params, c) {
			if want := params[j].Values[vi]; r.Values[j] != want {
				return fmt.Errorf("point %d has %s=%s where the grid has %s; the inputs mix sweeps", r.Point, params[j].Path, r.Values[j], want)
			}
		}
	}
	return nil
}
