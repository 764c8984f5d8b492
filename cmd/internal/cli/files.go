package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/leasesim/leasesim/sim"
)

// writeRunFiles writes report.json, events.jsonl and the charts drawn
// from that events.jsonl into dir.
func writeRunFiles(dir string, res *sim.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return badInput(fmt.Errorf("cannot create output directory: %w", err))
	}
	if err := writeFile(filepath.Join(dir, "report.json"), func(w io.Writer) error { return sim.WriteReportJSON(w, res) }); err != nil {
		return err
	}
	var events bytes.Buffer
	if err := sim.WriteEventsJSONL(&events, res); err != nil {
		return err
	}
	// Writing the log and drawing from it overlap: both only read events.
	written := make(chan error, 1)
	go func() {
		written <- writeFile(filepath.Join(dir, "events.jsonl"), func(w io.Writer) error {
			_, err := w.Write(events.Bytes())
			return err
		})
	}()
	plotted := writePlots(dir, events.Bytes(), "")
	return errors.Join(<-written, plotted)
}

// writeFile writes path through fn, reporting a failed close too.
func writeFile(path string, fn func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return fn(f)
}
