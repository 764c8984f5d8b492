package cli

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/plots"
	"github.com/leasesim/leasesim/sim"
)

// runFiles are the files `run --out DIR` owns in DIR: written as one set,
// and removed when a run does not produce them (a chart with nothing to
// draw), so DIR never mixes two runs. Other files in DIR are left alone.
func runFiles() []string {
	names := []string{"report.json", "events.jsonl", "events.jsonl.gz"}
	for _, c := range append(append([]string(nil), plots.Charts...), plots.RevocationChartName) {
		names = append(names, c+".svg", c+".png")
	}
	return names
}

// newStage creates dir and a staging directory inside it.
func newStage(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", ioFailure(fmt.Errorf("cannot create output directory: %w", err))
	}
	stage, err := os.MkdirTemp(dir, ".leasesim-out-*")
	if err != nil {
		return "", ioFailure(fmt.Errorf("cannot write into output directory: %w", err))
	}
	removeOnInterrupt(stage)
	return stage, nil
}

// drawStagedCharts draws the charts into stage from the event log just
// written there (gzip if its name ends .gz), read as `plot` reads it —
// streaming, keeping the renewals of the renewal chart's entity only, so
// memory follows the entities, not the log — and returns the run as read
// back. res names the first cliff's root, the chart's likely entity. A
// run that issued more tokens and credentials than the charts hold
// (chartEntities) gets none, and notes says how to draw them from final,
// the log's path once the set is in place.
func drawStagedCharts(stage, events, final string, res *sim.Result, notes io.Writer) (*plots.Run, error) {
	if n := int64(res.NumEntities()); n > chartEntities {
		fmt.Fprintf(notes, "leasesim: no charts: the run issued %d tokens and credentials, more than the %d the charts hold (about 100 bytes each); draw them with leasesim plot %s --max-entities %d\n",
			n, chartEntities, final, n)
		return nil, nil
	}
	hint := ""
	if len(res.Cliffs) > 0 {
		hint = res.EntityID(res.Cliffs[0].Roots[0])
	}
	// The charts' memory limit, above what the run's results hold (one
	// collection to know it): the run's own limit would let the charts'
	// heap double.
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	onIssue, restore := limitChartMemory(int64(m.HeapAlloc))
	defer restore()
	run, _, err := readEventsFile(events, "", true, hint, onIssue, chartEntities)
	if err != nil {
		return nil, err
	}
	absent, err := stageCharts(stage, run)
	if err != nil {
		return nil, err
	}
	for _, a := range absent {
		fmt.Fprintf(notes, "leasesim: %s\n", a)
	}
	return run, nil
}

// runStage is a `run --out DIR` set being written: a staging directory in
// DIR whose event log the run streams into as it goes, so the log is never
// held in memory. finish adds report.json and the charts and replaces the
// previous set; abandon leaves DIR as it was.
type runStage struct {
	dir, stage string
	events     string // the log's path in stage; "" with --log none
	level      sim.LogLevel
	listing    sim.EntityListing
	f          *os.File
	zw         *gzip.Writer
	bw         *bufio.Writer
	spill      *os.File // the log's revocation lines until its cliff lines are written
	spillTo    io.ReadWriteSeeker
}

// logFormat is what a run's --out set holds: which events its log keeps,
// gzip-compressed or not, and how report.json lists the entities.
type logFormat struct {
	level   sim.LogLevel
	gz      bool
	listing sim.EntityListing
}

// outFlags are the flags that say what `run --out` and `compare --out`
// write: --log, --log-gzip and --entities (the last also for -o json).
type outFlags struct {
	Log      string // all, lifecycle or none
	LogGzip  bool
	Entities string         // auto, all or folded
	cmd      *cobra.Command // to tell a --log given from its default
}

func addOutFlags(cmd *cobra.Command, o *outFlags) {
	o.cmd = cmd
	cmd.Flags().StringVar(&o.Log, "log", "lifecycle", "what --out's event log holds: all, lifecycle or none")
	cmd.Flags().BoolVar(&o.LogGzip, "log-gzip", false, "write --out's event log gzip-compressed, as events.jsonl.gz")
	cmd.Flags().StringVar(&o.Entities, "entities", "auto", fmt.Sprintf("how -o json and report.json list entities: auto (every one up to %d, folded above), all, or folded", sim.FoldEntitiesAbove))
}

// format reads the flags; a bad value is bad input, and so is --log or
// --log-gzip without --out DIR (outDir ""): they would be silently ignored,
// and the user who asked for a log would find none.
func (o outFlags) format(outDir string) (logFormat, error) {
	level, err := sim.ParseLogLevel(o.Log)
	if err != nil {
		return logFormat{}, badInput(err)
	}
	if outDir == "" && o.cmd != nil {
		for _, f := range []string{"log", "log-gzip"} {
			if o.cmd.Flags().Changed(f) {
				return logFormat{}, badInput(fmt.Errorf("--%s: the event log is written only into --out DIR; add --out DIR, or drop --%s", f, f))
			}
		}
	}
	if level == sim.LogNone && o.LogGzip {
		return logFormat{}, badInput(errors.New("--log-gzip with --log none: there is no log to compress; drop one of them"))
	}
	listing, err := sim.ParseEntityListing(o.Entities)
	if err != nil {
		return logFormat{}, badInput(err)
	}
	return logFormat{level, o.LogGzip, listing}, nil
}

// openRunStage creates the staging directory in dir and the log file.
func openRunStage(dir string, lf logFormat) (*runStage, error) {
	stage, err := newStage(dir)
	if err != nil {
		return nil, err
	}
	return openStageIn(dir, stage, lf)
}

// openStageIn starts a run's set in stage (created if need be), bound for
// dir: the log file, gzip compressed (events.jsonl.gz) when lf says so.
// compare stages each side's set in a directory of its own stage.
func openStageIn(dir, stage string, lf logFormat) (*runStage, error) {
	s := &runStage{dir: dir, stage: stage, level: lf.level, listing: lf.listing}
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, errors.Join(ioFailure(err), s.abandon())
	}
	if lf.level == sim.LogNone {
		return s, nil
	}
	s.events = filepath.Join(stage, "events.jsonl")
	if lf.gz {
		s.events += ".gz"
	}
	var err error
	if s.f, err = os.Create(s.events); err != nil {
		return nil, errors.Join(ioFailure(err), s.abandon())
	}
	var w io.Writer = s.f
	if writeHook != nil {
		w = writeHook(filepath.Join(dir, filepath.Base(s.events)), w)
	}
	if lf.gz {
		s.zw = gzip.NewWriter(w)
		w = s.zw
	}
	s.bw = bufio.NewWriterSize(w, 64<<10)
	// The revocation lines come last in the log but are known second by
	// second: they wait in a file in the stage, not in memory, and go
	// with the stage.
	if s.spill, err = os.CreateTemp(stage, "."+spillName+"-*"); err != nil {
		return nil, errors.Join(ioFailure(err), s.abandon())
	}
	s.spillTo = s.spill
	if writeHook != nil {
		s.spillTo = hookedFile{s.spill, writeHook(filepath.Join(dir, spillName), s.spill)}
	}
	return s, nil
}

// spillName names the temporary file of the log's revocation lines.
const spillName = "revocation-lines.tmp"

// hookedFile is a file whose writes go through a test's writeHook.
type hookedFile struct {
	*os.File
	w io.Writer
}

func (h hookedFile) Write(p []byte) (int, error) { return h.w.Write(p) }

// logTo is where the run streams its log; nil with --log none.
func (s *runStage) logTo() io.Writer {
	if s.bw == nil {
		return nil
	}
	return s.bw
}

// streamTo has the run stream its log into the stage (nothing with --log
// none): the log and, for its revocation lines, the spill file.
func (s *runStage) streamTo(so *sim.Options) {
	so.LogTo, so.LogLevel = s.logTo(), s.level
	if s.spillTo != nil {
		so.LogSpill = s.spillTo
	}
}

// abandon removes the staging directory: DIR stays as it was.
func (s *runStage) abandon() error {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.closeSpill()
	defer doneOutput(s.stage)
	return ioFailure(os.RemoveAll(s.stage))
}

// closeSpill closes and removes the spill file: its lines are in the log
// now, or the set is abandoned.
func (s *runStage) closeSpill() {
	if s.spill != nil {
		s.spill.Close()
		os.Remove(s.spill.Name())
		s.spill, s.spillTo = nil, nil
	}
}

// finish closes the streamed log, writes report.json and the charts drawn
// from the log, and replaces the previous set in DIR, all or nothing.
func (s *runStage) finish(res *sim.Result, notes io.Writer) (err error) {
	defer func() { err = errors.Join(err, s.abandon()) }()
	if _, err := s.write(res, notes); err != nil {
		return err
	}
	return commitFiles(s.stage, s.dir, runFiles())
}

// write closes the streamed log and writes report.json and the charts
// drawn from the log into the stage; it returns the run as the charts
// read it (nil with --log none).
func (s *runStage) write(res *sim.Result, notes io.Writer) (*plots.Run, error) {
	if s.f != nil {
		err := res.LogErr
		if err == nil {
			err = s.bw.Flush()
		}
		if err == nil && s.zw != nil {
			err = s.zw.Close()
		}
		err = errors.Join(err, s.f.Chmod(0o644), s.f.Close())
		s.f = nil
		s.closeSpill()
		if err != nil {
			return nil, ioFailure(fmt.Errorf("writing %s: %w", filepath.Join(s.dir, filepath.Base(s.events)), err))
		}
	}
	if err := writeFile(filepath.Join(s.stage, "report.json"), func(w io.Writer) error { return sim.WriteReportJSON(w, res, s.listing) }); err != nil {
		return nil, err
	}
	if s.events == "" {
		fmt.Fprintln(notes, "leasesim: no charts: they are drawn from the event log, and --log none writes none")
		return nil, nil
	}
	return drawStagedCharts(s.stage, s.events, filepath.Join(s.dir, filepath.Base(s.events)), res, notes)
}

// stageCharts draws every chart into stage side by side (eachChart; each
// writes its own files). A chart that cannot be drawn from
// this run is absent, not an error: the returned notes say why.
func stageCharts(stage string, run *plots.Run) (absent []string, err error) {
	names := plots.ChartsOf(run)
	notes := make([]string, len(names))
	errs := make([]error, len(names))
	eachChart(len(names), func(i int) {
		name := names[i]
		p, err := plots.Chart(run, name, "")
		if err != nil {
			notes[i] = fmt.Sprintf("%s.svg and %s.png not drawn: %v", name, name, err)
			return
		}
		for _, format := range []string{"svg", "png"} {
			if errs[i] = writeFile(filepath.Join(stage, name+"."+format), func(w io.Writer) error {
				return plots.Render(w, p, format, plots.SlideWidth, plots.SlideHeight)
			}); errs[i] != nil {
				return
			}
		}
	})
	for _, n := range notes {
		if n != "" {
			absent = append(absent, n)
		}
	}
	return absent, errors.Join(errs...)
}

// commitFiles moves each of names from stage into dir, and removes from
// dir those of names that stage lacks. Each rename is atomic; the set is
// replaced as a whole unless the file system fails between two renames.
func commitFiles(stage, dir string, names []string) error {
	for _, name := range names {
		from, to := filepath.Join(stage, name), filepath.Join(dir, name)
		if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
			if err := os.Remove(to); err != nil && !errors.Is(err, os.ErrNotExist) {
				return ioFailure(err)
			}
			continue
		}
		if err := os.Rename(from, to); err != nil {
			return ioFailure(err)
		}
	}
	return nil
}

// writeHook, when set by a test, wraps every file's writer: it injects
// write errors to show a failed write leaves the previous file intact.
var writeHook func(path string, w io.Writer) io.Writer

// writeFile writes path through fn into a temporary file beside it and
// renames it into place only when fn, the flush and the close succeeded:
// readers see the old file or the new one, never a part. Failures are I/O
// errors (exit 4) and leave no temporary file behind.
func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return ioFailure(err)
	}
	removeOnInterrupt(f.Name())
	defer doneOutput(f.Name())
	var w io.Writer = f
	if writeHook != nil {
		w = writeHook(path, f)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	err = errors.Join(err, f.Chmod(0o644), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return ioFailure(fmt.Errorf("writing %s: %w", path, err))
	}
	return nil
}
