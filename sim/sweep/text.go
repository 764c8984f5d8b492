package sweep

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/leasesim/leasesim/model"
)

// WriteText writes a summary line and, for people, one line per setting
// (combination of swept values) aggregated over its seeds: each numeric
// column as its mean and, where the seeds disagree, (min–max). Columns
// carry the CSV's names; *_seconds columns read as durations (768h), "-"
// is nothing to report. A mean over fewer seeds than the line has (no
// cliff in some runs) says over how many ("768h in 6/10"). Rows with an
// error are counted in the error column and listed below the table.
func (t *Table) WriteText(w io.Writer) error {
	var b strings.Builder
	if t.Scenario != "" {
		b.WriteString(t.Scenario + ": ")
	}
	size := t.Grid.Size()
	fmt.Fprintf(&b, "%d point%s (%s)", size, plural(size), t.Grid.describe())
	if !t.Shard.Whole() {
		fmt.Fprintf(&b, "; shard %s: %d point%s", t.Shard, len(t.Rows), plural(len(t.Rows)))
	}
	b.WriteString("\nEach line: one setting over its seeds, mean (min–max).\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	errs := t.Errors()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := append(t.Grid.Paths(), "seeds")
	head = append(head, MetricColumns...)
	if errs > 0 {
		head = append(head, ColError)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	nSeeds := max(t.Grid.Seeds.Len(), 1)
	for start := 0; start < len(t.Rows); {
		end := start + 1
		for end < len(t.Rows) && t.Rows[end].Point/nSeeds == t.Rows[start].Point/nSeeds {
			end++
		}
		group := t.Rows[start:end]
		cells := append([]string{}, group[0].Values...)
		cells = append(cells, strconv.Itoa(len(group)))
		for _, col := range MetricColumns {
			if col == ColFirstCliffBoundBy {
				cells = append(cells, boundByCell(group))
				continue
			}
			cells = append(cells, numericCell(group, col))
		}
		if errs > 0 {
			cells = append(cells, errorCell(group))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
		start = end
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if errs == 0 {
		return nil
	}
	var e strings.Builder
	fmt.Fprintf(&e, "\n%d point%s stopped early or failed, without metrics (column error in the CSV):\n", errs, plural(errs))
	shown := 0
	for _, r := range t.Rows {
		if r.Err == "" {
			continue
		}
		if shown == 5 {
			fmt.Fprintf(&e, "  … and %d more\n", errs-shown)
			break
		}
		fmt.Fprintf(&e, "  point %d (%s): %s\n", r.Point, t.describePoint(r), r.Err)
		shown++
	}
	_, err := io.WriteString(w, e.String())
	return err
}

func (t *Table) describePoint(r Row) string {
	parts := make([]string, 0, len(r.Values)+1)
	for j, v := range r.Values {
		parts = append(parts, t.Grid.Params[j].Path+"="+v)
	}
	return strings.Join(append(parts, "seed="+strconv.FormatUint(r.Seed, 10)), ", ")
}

// numericCell is mean (min–max) of a column over the rows that have it.
func numericCell(rows []Row, col string) string {
	var sum float64
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for i := range rows {
		if v, ok := rows[i].metric(col); ok {
			sum += v
			lo, hi = min(lo, v), max(hi, v)
			n++
		}
	}
	if n == 0 {
		return "-"
	}
	format := formatNumber
	if strings.HasSuffix(col, "_seconds") {
		format = formatSeconds
	}
	s := format(sum / float64(n))
	if lo != hi {
		s += " (" + format(lo) + "–" + format(hi) + ")"
	}
	if n < len(rows) {
		s += fmt.Sprintf(" in %d/%d", n, len(rows))
	}
	return s
}

func formatNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func formatSeconds(v float64) string { return model.Duration(math.Round(v)).String() }

// boundByCell names the first cliff's binding layer: the one value when
// the seeds agree, else each with its count ("-" for no cliff).
func boundByCell(rows []Row) string {
	var order []string
	count := map[string]int{}
	for _, r := range rows {
		if r.Err != "" {
			continue
		}
		v := r.FirstCliffBoundBy
		if v == "" {
			v = "-"
		}
		if count[v] == 0 {
			order = append(order, v)
		}
		count[v]++
	}
	switch len(order) {
	case 0:
		return "-"
	case 1:
		return order[0]
	}
	parts := make([]string, len(order))
	for i, v := range order {
		parts[i] = fmt.Sprintf("%s ×%d", v, count[v])
	}
	return strings.Join(parts, ", ")
}

func errorCell(rows []Row) string {
	n := 0
	for _, r := range rows {
		if r.Err != "" {
			n++
		}
	}
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", n, len(rows))
}
