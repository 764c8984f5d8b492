package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/leasesim/leasesim/sim"
)

// writeRunFiles writes report.json and events.jsonl into dir.
func writeRunFiles(dir string, res *sim.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return badInput(fmt.Errorf("cannot create output directory: %w", err))
	}
	if err := writeFile(filepath.Join(dir, "report.json"), func(w io.Writer) error { return sim.WriteReportJSON(w, res) }); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "events.jsonl"), func(w io.Writer) error { return sim.WriteEventsJSONL(w, res) })
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
