package sweep

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Table is a sweep's result: one row per point of its shard, in point
// order, with what identifies the sweep.
type Table struct {
	Scenario string // the scenario's name
	Digest   string // SHA-256 of the scenario file as read (Sweep.Digest)
	Grid     Grid
	Shard    Shard // the slice Rows hold; zero or 1/1 for the whole grid
	Rows     []Row
}

// Row is one point's settings and metrics, or the error that stopped its run.
type Row struct {
	Point  int      // the point's index in the whole grid
	Values []string // one per parameter, as written
	Seed   uint64
	Metrics
	// Err is why the run has no metrics: a budget it ran out of, or a
	// failure of the engine. Empty for a run that completed.
	Err string
}

// Errors counts the rows whose run stopped early or failed.
func (t *Table) Errors() int {
	n := 0
	for i := range t.Rows {
		if t.Rows[i].Err != "" {
			n++
		}
	}
	return n
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
	ColError              = "error"
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
	h = append(h, MetricColumns...)
	return append(h, ColError)
}

// metric returns a row's metric as a number; ok is false when it has none
// (no cliff, no hard end reached, or the run stopped with an error).
func (r *Row) metric(name string) (v float64, ok bool) {
	if r.Err != "" {
		return 0, false
	}
	m := &r.Metrics
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
	rec = append(rec, strconv.FormatUint(r.Seed, 10))
	if r.Err != "" { // no metrics: empty cells, so that no spreadsheet averages them
		rec = append(rec, make([]string, len(MetricColumns))...)
		return append(rec, r.Err)
	}
	return append(rec, strconv.Itoa(r.Cliffs), optInt(r.FirstCliffOffset), r.FirstCliffBoundBy, strconv.Itoa(r.LargestCliff),
		strconv.Itoa(r.Outages), strconv.FormatInt(r.OutageSeconds, 10), FormatFloat(r.FailedRequests),
		optInt(r.EarliestHardEnd), strconv.Itoa(r.SystemDefaultBound), "")
}

// The CSV's provenance: comment lines before the column header.
const (
	metaScenario = "scenario"
	metaDigest   = "scenario_sha256"
	metaGrid     = "grid"
	metaSeeds    = "seeds"
	metaShard    = "shard"
)

type gridParamJSON struct {
	Path   string   `json:"path"`
	Values []string `json:"values"`
}

func gridJSON(g Grid) []gridParamJSON {
	out := []gridParamJSON{}
	for _, p := range g.Params {
		out = append(out, gridParamJSON{p.Path, p.Values})
	}
	return out
}

// gridLine is the grid as one line of JSON: unambiguous whatever the values.
func gridLine(g Grid) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(gridJSON(g)) // strings only: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

// WriteCSV writes the provenance lines ("# key: value": the scenario, its
// digest, the grid, the seeds, the shard), the column header and one line
// per row. The bytes depend only on the sweep: the same sweep gives the
// same file, however it was run.
func (t *Table) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, kv := range [][2]string{{metaScenario, t.Scenario}, {metaDigest, t.Digest}, {metaGrid, gridLine(t.Grid)},
		{metaSeeds, t.Grid.Seeds.String()}, {metaShard, t.Shard.String()}} {
		fmt.Fprintf(bw, "# %s: %s\n", kv[0], kv[1])
	}
	cw := csv.NewWriter(bw)
	if err := cw.Write(Header(t.Grid.Paths())); err != nil {
		return err
	}
	for i := range t.Rows {
		if err := cw.Write(t.Rows[i].record(t.Grid.Size())); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

type tableJSON struct {
	Version  int             `json:"version"`
	Scenario string          `json:"scenario"`
	Digest   string          `json:"scenario_sha256"`
	Params   []string        `json:"params"`
	Grid     []gridParamJSON `json:"grid"`
	Seeds    string          `json:"seeds"`
	GridSize int             `json:"grid_size"`
	Shard    string          `json:"shard"`
	Rows     []rowJSON       `json:"rows"`
}

// rowJSON is a row; a run that stopped with an error has null metrics.
type rowJSON struct {
	Point              int      `json:"point"`
	Values             []string `json:"values"`
	Seed               uint64   `json:"seed"`
	Cliffs             *int     `json:"cliffs"`
	FirstCliffOffset   *int64   `json:"first_cliff_offset_seconds"`
	FirstCliffBoundBy  *string  `json:"first_cliff_bound_by"`
	LargestCliff       *int     `json:"largest_cliff"`
	Outages            *int     `json:"outages"`
	OutageSeconds      *int64   `json:"outage_seconds"`
	FailedRequests     *float64 `json:"failed_requests"`
	EarliestHardEnd    *int64   `json:"earliest_hard_end_offset_seconds"`
	SystemDefaultBound *int     `json:"system_default_bound"`
	Error              *string  `json:"error"`
}

// WriteJSON writes the table as one JSON document (docs/sweep.md).
func (t *Table) WriteJSON(w io.Writer) error {
	doc := tableJSON{Version: 1, Scenario: t.Scenario, Digest: t.Digest, Params: t.Grid.Paths(), Grid: gridJSON(t.Grid),
		Seeds: t.Grid.Seeds.String(), GridSize: t.Grid.Size(), Shard: t.Shard.String(), Rows: []rowJSON{}}
	for _, r := range t.Rows {
		j := rowJSON{Point: r.Point, Values: r.Values, Seed: r.Seed}
		if j.Values == nil {
			j.Values = []string{}
		}
		if r.Err != "" {
			j.Error = &r.Err
		} else {
			j.Cliffs, j.FirstCliffOffset, j.LargestCliff, j.Outages = &r.Cliffs, r.FirstCliffOffset, &r.LargestCliff, &r.Outages
			j.OutageSeconds, j.FailedRequests, j.EarliestHardEnd, j.SystemDefaultBound = &r.OutageSeconds, &r.FailedRequests, r.EarliestHardEnd, &r.SystemDefaultBound
			if r.FirstCliffBoundBy != "" {
				j.FirstCliffBoundBy = &r.FirstCliffBoundBy
			}
		}
		doc.Rows = append(doc.Rows, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// ReadCSV reads a table written by WriteCSV (a whole sweep or one shard)
// and checks it against its own provenance: the columns are the grid's,
// each row is the shard's next point with the settings and seed the grid
// puts there, and every metric is a finite, non-negative number. It does
// not require every point: Merge says which are missing.
func ReadCSV(r io.Reader) (*Table, error) {
	br := bufio.NewReader(r)
	meta := map[string]string{}
	line := 0
	for {
		b, err := br.Peek(1)
		if err != nil || b[0] != '#' {
			break
		}
		text, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		line++
		k, v, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(text, "#")), ":")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not a \"# key: value\" line", line, strings.TrimSpace(text))
		}
		meta[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	t, err := tableOf(meta, line)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(br)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: no column header after the provenance lines; expected point,grid_size,…", line+1)
	}
	if err != nil {
		return nil, err
	}
	if want := Header(t.Grid.Paths()); !slices.Equal(header, want) {
		return nil, fmt.Errorf("line %d: the column header is %q; the grid line calls for %q", line+1, strings.Join(header, ","), strings.Join(want, ","))
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		at, _ := cr.FieldPos(0)
		row, err := parseRecord(rec, t, len(t.Rows))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", at+line, err)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// tableOf builds an empty table from the provenance lines.
func tableOf(meta map[string]string, lines int) (*Table, error) {
	for _, k := range []string{metaScenario, metaDigest, metaGrid, metaSeeds, metaShard} {
		if _, ok := meta[k]; !ok {
			if lines == 0 {
				return nil, errors.New("not a sweep CSV: it does not start with the provenance lines (# scenario: …, # scenario_sha256: …, # grid: …, # seeds: …, # shard: …) that `leasesim sweep -o csv` writes; an older leasesim wrote none: re-run the sweep")
			}
			return nil, fmt.Errorf("the provenance lines have no %q line; expected # %s: …", k, k)
		}
	}
	t := &Table{Scenario: meta[metaScenario], Digest: meta[metaDigest]}
	if len(t.Digest) != 64 || strings.Trim(t.Digest, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("# %s: %q is not a SHA-256 in hex", metaDigest, t.Digest)
	}
	var params []gridParamJSON
	if err := json.Unmarshal([]byte(meta[metaGrid]), &params); err != nil {
		return nil, fmt.Errorf("# %s: not a JSON list of {path, values}: %v", metaGrid, err)
	}
	var ps []Param
	for _, p := range params {
		if p.Path == "" || len(p.Values) == 0 {
			return nil, fmt.Errorf("# %s: every parameter needs a path and at least one value", metaGrid)
		}
		ps = append(ps, Param{p.Path, p.Values})
	}
	seeds, err := ParseSeeds(meta[metaSeeds])
	if err != nil {
		return nil, fmt.Errorf("# %s: %w", metaSeeds, err)
	}
	if t.Grid, err = NewGrid(ps, seeds); err != nil {
		return nil, fmt.Errorf("# %s: %w", metaGrid, err)
	}
	if t.Shard, err = ParseShard(meta[metaShard]); err != nil {
		return nil, fmt.Errorf("# %s: %w", metaShard, err)
	}
	return t, nil
}

// parseRecord reads the pos-th row of t's shard and checks it against the grid.
func parseRecord(rec []string, t *Table, pos int) (Row, error) {
	nParams := len(t.Grid.Params)
	var r Row
	var err error
	bad := func(col, v, want string) {
		if err == nil {
			err = fmt.Errorf("column %s: %q is not %s", col, v, want)
		}
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
		if e != nil || n < 0 {
			bad(col, v, "a non-negative integer or empty")
		}
		return &n
	}
	r.Point = atoi(colPoint, rec[0])
	size := atoi(colGridSize, rec[1])
	r.Values = slices.Clone(rec[2 : 2+nParams])
	seed, e := strconv.ParseUint(rec[2+nParams], 10, 64)
	if e != nil {
		bad(colSeed, rec[2+nParams], "a seed")
	}
	r.Seed = seed
	m := rec[3+nParams:]
	r.Err = m[len(MetricColumns)]
	if r.Err != "" {
		for i, v := range m[:len(MetricColumns)] {
			if v != "" {
				bad(MetricColumns[i], v, "empty, as a row with an error has no metrics")
			}
		}
	} else {
		r.Cliffs = atoi(ColCliffs, m[0])
		r.FirstCliffOffset = opt(ColFirstCliffOffset, m[1])
		r.FirstCliffBoundBy = m[2]
		r.LargestCliff = atoi(ColLargestCliff, m[3])
		r.Outages = atoi(ColOutages, m[4])
		r.OutageSeconds = int64(atoi(ColOutageSeconds, m[5]))
		f, e := strconv.ParseFloat(m[6], 64)
		if e != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			bad(ColFailedRequests, m[6], "a finite number of at least 0")
		}
		r.FailedRequests = f
		r.EarliestHardEnd = opt(ColEarliestHardEnd, m[7])
		r.SystemDefaultBound = atoi(ColSystemDefaultBound, m[8])
	}
	if err != nil {
		return r, err
	}
	g := t.Grid
	switch want := t.Shard.Index(pos); {
	case size != g.Size():
		return r, fmt.Errorf("grid_size %d, but the grid line makes %d points; the file mixes sweeps", size, g.Size())
	case r.Point >= g.Size():
		return r, fmt.Errorf("point %d is outside the grid of %d points", r.Point, g.Size())
	case r.Point != want:
		return r, fmt.Errorf("point %d where shard %s's next point is %d: rows are missing, repeated or out of order", r.Point, t.Shard, want)
	}
	p := g.Point(r.Point)
	if r.Seed != p.Seed {
		return r, fmt.Errorf("point %d has seed %d where the grid has %d; the file mixes sweeps", r.Point, r.Seed, p.Seed)
	}
	for j, v := range p.Values {
		if r.Values[j] != v {
			return r, fmt.Errorf("point %d has %s=%s where the grid has %s; the file mixes sweeps", r.Point, g.Params[j].Path, r.Values[j], v)
		}
	}
	return r, nil
}

// Merge joins the CSVs of a sharded sweep (in any order) into the table
// of the whole sweep: its CSV is byte-identical to the unsharded sweep's.
// It refuses inputs of different sweeps (scenario digest, grid, seeds or
// shard count), a shard given twice, a shard or point missing, and any row
// ReadCSV refuses (settings not the grid's, non-finite or negative
// metrics). Every message names the files. An input with a Name method
// (an *os.File) is cited by name.
func Merge(inputs ...io.Reader) (*Table, error) {
	if len(inputs) == 0 {
		return nil, errors.New("merge: no input files; give the CSV of every shard")
	}
	tabs := make([]*Table, len(inputs))
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = fmt.Sprintf("input %d", i+1)
		if n, ok := in.(interface{ Name() string }); ok {
			names[i] = n.Name()
		}
		t, err := ReadCSV(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
		tabs[i] = t
	}
	ref, refName := tabs[0], names[0]
	n := max(ref.Shard.N, 1)
	byK := make([]int, n+1) // shard K → input index + 1
	for i, t := range tabs {
		name := names[i]
		switch {
		case t.Digest != ref.Digest:
			return nil, fmt.Errorf("%s is a sweep of %s (scenario_sha256 %.12s…) but %s of %s (%.12s…): different scenarios or an edited file; only shards of one sweep can be merged",
				name, t.Scenario, t.Digest, refName, ref.Scenario, ref.Digest)
		case !t.Grid.equal(ref.Grid):
			return nil, fmt.Errorf("%s sweeps %s with seeds %s but %s sweeps %s with seeds %s; only shards of one sweep can be merged",
				name, gridLine(t.Grid), t.Grid.Seeds, refName, gridLine(ref.Grid), ref.Grid.Seeds)
		case max(t.Shard.N, 1) != n:
			return nil, fmt.Errorf("%s is shard %s but %s is shard %s: shards of one split have the same N", name, t.Shard, refName, ref.Shard)
		}
		k := max(t.Shard.K, 1)
		if prev := byK[k]; prev != 0 {
			return nil, fmt.Errorf("shard %s is given twice: %s and %s; give each shard's file once", t.Shard, names[prev-1], name)
		}
		byK[k] = i + 1
		if want := t.Shard.Count(t.Grid.Size()); len(t.Rows) != want {
			return nil, fmt.Errorf("%s holds %d of shard %s's %d points (the next would be point %d); is the file truncated? Re-run that shard",
				name, len(t.Rows), t.Shard, want, t.Shard.Index(len(t.Rows)))
		}
	}
	var missing, given []string
	for k := 1; k <= n; k++ {
		if byK[k] == 0 {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		} else {
			given = append(given, fmt.Sprintf("%s (%d/%d)", names[byK[k]-1], k, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("shard%s %s %s missing (given: %s); give every shard's file",
			plural(len(missing)), firstTen(missing), isAre(len(missing)), firstTen(given))
	}
	out := &Table{Scenario: ref.Scenario, Digest: ref.Digest, Grid: ref.Grid, Rows: make([]Row, 0, ref.Grid.Size())}
	for i := range ref.Grid.Size() { // point i is shard (i mod N)+1's (i div N)-th row
		out.Rows = append(out.Rows, tabs[byK[i%n+1]-1].Rows[i/n])
	}
	return out, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// firstTen joins a list, cut after ten items.
func firstTen(items []string) string {
	if len(items) > 10 {
		return strings.Join(items[:10], ", ") + fmt.Sprintf(", … (%d in all)", len(items))
	}
	return strings.Join(items, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
