package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/entityid"
	"github.com/leasesim/leasesim/plots"
)

// PlotOptions are the inputs of `leasesim plot`.
type PlotOptions struct {
	IO     IO
	Events string // path of an events.jsonl
	OutDir string
	Plot   string // one chart's file name, or "" for all
	Entity string // the renewal chart's entity, or "" for its default
	Output string
	Max    int64 // --max-entities: the most tokens and credentials the log may issue
}

// NewCmdPlot builds `leasesim plot`.
func NewCmdPlot(io IO) *cobra.Command {
	opts := &PlotOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "plot EVENTS.jsonl[.gz]",
		Short: "Draw a saved run's charts as SVG and PNG",
		Long: `Plot draws the charts of a run from the events.jsonl that ` + "`run --out`" + ` saved,
without the scenario (run --out writes them too):

  timeline   every token and credential as a bar from issue to end, grouped
             by hierarchy and coloured by how it ended; hard ends, cliffs
             labelled with the layer that set them, numbered annotations
  live       tokens and credentials in use, and replaced ones still valid,
             over time; the title names the largest cliff
  impact     failed requests per second per service, outages shaded
  renewal    one token's TTL left over time, renewal by renewal, under the
             ceiling of its hard end (--entity picks which; the default is
             the root of the first cliff)
  revocation the leases waiting for their revocation and the database's
             load around the busiest cliff; drawn with the others when
             some lease waited past a second (docs/revocation.md)

Each chart is written as NAME.svg and NAME.png, sized for a 16:9 slide.
--plot FILE writes one chart: its name picks the chart and its extension
(.svg or .png) the format. A run whose cliffs and annotations crowd together
(the replay: minutes apart in 47 days) is drawn around them; the subtitle
says so. Operators' scripted events (reauth, revoke, deploy, ...) are drawn
from the log as markers S1, S2, ...; a short incident in a long run gets a
zoomed second panel under the live chart. The log is read line by line, and
from .jsonl.gz when the name ends in .gz. Memory grows with the tokens and
credentials the log issues (about 100 bytes each), not with its size; a log
that issues more than --max-entities (2,000,000: about 210 MB) is refused
with exit 3.`,
		Example: `  leasesim run jan-2024-replay --out /tmp/replay   # the run's files and every chart
  leasesim plot /tmp/replay/events.jsonl --out /tmp/slides
  leasesim plot /tmp/replay/events.jsonl --out /tmp/slides --plot timeline.png
  leasesim plot /tmp/replay/events.jsonl --out /tmp/slides --plot renewal.svg --entity broker-sso-a#1
  leasesim plot /tmp/replay/events.jsonl --out /tmp/slides --plot renewal.svg --entity sso.credential -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Events = args[0]
			return plotRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.OutDir, "out", ".", "directory to write the charts into")
	cmd.Flags().StringVar(&opts.Plot, "plot", "", "write one chart: timeline, live, impact, renewal or revocation, .svg or .png")
	addOutputFlag(cmd, &opts.Output)
	cmd.Flags().Int64Var(&opts.Max, "max-entities", chartEntities, "refuse a log that issues more tokens and credentials than this: the charts hold each, about 100 bytes (exit 3)")
	cmd.Flags().StringVar(&opts.Entity, "entity", "", "the token or credential of the renewal chart: one entity (broker#1, core-api[3].credential#1) or a group (core-api.credential: its first)")
	return cmd
}

func plotRun(opts *PlotOptions) error {
	if err := outputFormat(opts.Output); err != nil {
		return err
	}
	var chart, format string
	if opts.Plot != "" {
		var err error
		if chart, format, err = plots.ParseFileName(opts.Plot); err != nil {
			return badInput(err)
		}
	}
	if opts.Max <= 0 {
		return badInput(fmt.Errorf("--max-entities %d: a budget must be at least 1", opts.Max))
	}
	onIssue, _ := limitChartMemory(0)
	run, entity, err := readEventsFile(opts.Events, opts.Entity, chart == "" || chart == "renewal", "", onIssue, opts.Max)
	if err != nil {
		return err
	}
	opts.Entity = entity
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return ioFailure(fmt.Errorf("cannot create output directory: %w", err))
	}
	if chart == "" {
		if err := writeCharts(opts.OutDir, run, opts.Entity); err != nil {
			return err
		}
		var wrote []string
		for _, c := range plots.ChartsOf(run) {
			wrote = append(wrote, filepath.Join(opts.OutDir, c+".svg"), filepath.Join(opts.OutDir, c+".png"))
		}
		return reportWritten(opts.IO.Out, opts.Output, wrote)
	}
	path := opts.Plot
	if !filepath.IsAbs(path) {
		path = filepath.Join(opts.OutDir, path)
	}
	if err := writeChart(path, run, chart, format, opts.Entity); err != nil {
		return err
	}
	return reportWritten(opts.IO.Out, opts.Output, []string{path})
}

// The soft memory limit of drawing charts: plotMemoryFloor, and
// plotBytesPerEntity for each token and credential issued in the log. The
// reader keeps about 68 bytes of one (plots/store.go) and the charts
// compute a few more while they draw; the floor covers the rest (fonts,
// two charts' images at a time). Without a limit the collector lets the
// heap grow to twice its live size. The limit keeps a 1 GB log under
// 200 MB however dense it is: the densest, 1.58 million polled
// credentials, draws in 185 MB (220 MB at 96 bytes); the re-read year's
// 1.27 GB log of 880,000 credentials in 139 MB (248 MB without a limit),
// for about 15% more CPU (docs/plots.md).
const (
	plotMemoryFloor    = 64 << 20
	plotBytesPerEntity = 72
)

// chartEntities is the most tokens and credentials the charts hold by
// default (plot --max-entities; run --out draws no charts for a run that
// issued more): about 210 MB. A run that recycles keeps its memory to the
// live set however many it issues — a fleet polling new credentials
// every hour for a year issues tens of millions — but the charts hold
// every one. A variable for tests.
var chartEntities int64 = 2_000_000

// limitChartMemory sets the soft memory limit for reading a log and
// drawing its charts to held (what the process keeps meanwhile: run
// --out's results) plus the floor, unless GOMEMLIMIT says otherwise. It
// returns what to call at each entity the reader meets (every 16,384 it
// raises the limit to follow them) and what puts back the limit before.
func limitChartMemory(held int64) (onIssue func(), restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil, func() {}
	}
	before := debug.SetMemoryLimit(held + plotMemoryFloor)
	var n int64
	onIssue = func() {
		if n++; n%(1<<14) == 0 {
			debug.SetMemoryLimit(held + plotMemoryFloor + n*plotBytesPerEntity)
		}
	}
	return onIssue, func() { debug.SetMemoryLimit(before) }
}

// reportWritten says which files a command wrote: "wrote A and B" lines,
// or {"wrote": [...]} with -o json.
func reportWritten(w io.Writer, output string, files []string) error {
	if output == "json" {
		return writeJSON(w, map[string]any{"wrote": files})
	}
	for i := 0; i < len(files); i += 2 {
		if i+1 < len(files) {
			fmt.Fprintf(w, "wrote %s and %s\n", files[i], files[i+1])
		} else {
			fmt.Fprintf(w, "wrote %s\n", files[i])
		}
	}
	return nil
}

// writeCharts draws the charts side by side (eachChart): each writes its
// own files, so the output is the same as one after the other. Errors are
// reported in chart order.
func writeCharts(dir string, run *plots.Run, entity string) error {
	names := plots.ChartsOf(run)
	errs := make([]error, len(names))
	eachChart(len(names), func(i int) {
		errs[i] = writeChartFiles(dir, run, names[i], entity)
	})
	return errors.Join(errs...)
}

// eachChart calls draw(i) for each of n charts, side by side but no more
// at a time than there are processors: they share nothing but the run,
// which they only read, and more at once would not draw faster, only hold
// more images (8 MB each) and more of what they compute from the run.
func eachChart(n int, draw func(i int)) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			draw(i)
		})
	}
	wg.Wait()
}

func writeChartFiles(dir string, run *plots.Run, name, entity string) error {
	p, err := plots.Chart(run, name, entity)
	if err != nil {
		return err
	}
	for _, format := range []string{"svg", "png"} {
		path := filepath.Join(dir, name+"."+format)
		if err := writeFile(path, func(w io.Writer) error {
			return plots.Render(w, p, format, plots.SlideWidth, plots.SlideHeight)
		}); err != nil {
			return err
		}
	}
	return nil
}

func writeChart(path string, run *plots.Run, chart, format, entity string) error {
	p, err := plots.Chart(run, chart, entity)
	if err != nil {
		return badInput(err)
	}
	return writeFile(path, func(w io.Writer) error {
		return plots.Render(w, p, format, plots.SlideWidth, plots.SlideHeight)
	})
}

// readEventsFile streams an events.jsonl (or .jsonl.gz) from disk and
// resolves entity, a concrete id or a group (core-api.credential: its first
// entity in the run), "" staying "" for the renewal chart's default. The
// log of a long run is mostly renewals, and only the renewal chart draws
// them, for one entity: the reader keeps that entity's (entity as given,
// or else the first token's, the usual default), so memory grows with the
// entities issued, not with the log. If the chart's entity turns out to be
// another (a group's first, or the root of the first cliff, known only
// from the log's last lines), the file is read a second time for it —
// unless it is hint, whose renewals are kept too: run --out knows the
// first cliff's root before it reads its own log back.
func readEventsFile(path, entity string, renewal bool, hint string, onIssue func(), most int64) (*plots.Run, string, error) {
	first := ""
	var issued int64
	keep := func(id, kind string) bool {
		issued++
		if onIssue != nil {
			onIssue()
		}
		if entity != "" {
			return id == entity
		}
		if id == hint {
			return true
		}
		if first == "" && (kind == "token" || kind == "child-token") {
			first = id
		}
		return id == first
	}
	run, err := readEventsPass(path, keep, &issued, most)
	if err != nil {
		return nil, "", err
	}
	id := ""
	if entity != "" {
		found, err := findEntity(run, entity)
		if err != nil {
			return nil, "", badInput(fmt.Errorf("%s: %w", path, err))
		}
		entity, id = found, found
	} else if renewal {
		id, _ = plots.DefaultRenewalEntity(run) // none: the renewal chart says so itself
	}
	if e, ok := run.Entity(id); !renewal || !ok || e.KeptGrants() {
		return run, entity, nil
	}
	issued = 0
	run, err = readEventsPass(path, func(got, _ string) bool {
		issued++
		if onIssue != nil {
			onIssue()
		}
		return got == id
	}, &issued, most)
	return run, entity, err
}

// findEntity is the first entity of run that query (one entity or a group)
// names, as entityid.Find picks it from every ID, without a list of them all
// (a year of a fleet issues close to a million): when none matches, Find
// is asked about one ID of each group, which gives its error.
func findEntity(run *plots.Run, query string) (string, error) {
	q, err := entityid.Parse(query)
	if err != nil {
		return "", err
	}
	var groups []string
	seen := map[string]bool{}
	for i := range run.NumEntities() {
		id := run.EntityID(i)
		c, err := entityid.Parse(id)
		if err != nil {
			continue
		}
		if q.Matches(c) {
			return id, nil
		}
		if g := c.Group(); !seen[g] {
			seen[g] = true
			groups = append(groups, id)
		}
	}
	_, err = entityid.Find(query, groups)
	return "", err
}

// gzipMagic opens every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// readEventsPass reads the log once; keep counts the entities it meets in
// *issued, and the read stops (exit 3) once they are more than most.
func readEventsPass(path string, keep func(id, kind string) bool, issued *int64, most int64) (*plots.Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	tooMany := func() error {
		if *issued > most {
			return budgetExceeded(fmt.Errorf("%s issues more than %d tokens and credentials, the most the charts hold (--max-entities; about 100 bytes each): raise it with --max-entities N", path, most))
		}
		return nil
	}
	if !strings.HasSuffix(path, ".gz") {
		// The name decides, as documented; a compressed log named .jsonl
		// would otherwise fail as "not a valid JSON object" at line 1.
		if magic, _ := br.Peek(2); bytes.Equal(magic, gzipMagic) {
			return nil, badInput(fmt.Errorf("%s is gzip-compressed but its name does not end in .gz: name it .jsonl.gz (plot reads gzip when the name ends in .gz)", path))
		}
	} else {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: the name ends in .gz but the file is not gzip: %w", path, err))
		}
		defer zr.Close()
		r = zr
	}
	run, err := plots.ReadEventsWith(budgetReader{r, tooMany}, plots.ReadOptions{KeepGrants: keep})
	if err := tooMany(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return run, nil
}

// budgetReader stops a read once stop says so: the reader of plots has no
// other way out, and a log of tens of millions of entities must not be
// read to its end first.
type budgetReader struct {
	r    io.Reader
	stop func() error
}

func (b budgetReader) Read(p []byte) (int, error) {
	if err := b.stop(); err != nil {
		return 0, err
	}
	return b.r.Read(p)
}
