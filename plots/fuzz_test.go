package plots

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzReadEvents checks that the event-log reader never panics on any
// input, and that it fails only with a *LineError naming a line of the
// input (or, for an input with no line, saying it is empty); a log it
// accepts yields entities with ids and a horizon that is
// not negative. Seeds: tinyLog, its prefixes and edits, and
// plots/testdata/fuzz/FuzzReadEvents.
//
//	go test ./plots -run x -fuzz FuzzReadEvents
func FuzzReadEvents(f *testing.F) {
	f.Add([]byte(tinyLog))
	lines := strings.SplitAfter(tinyLog, "\n")
	for i := 1; i < len(lines); i += 3 {
		f.Add([]byte(strings.Join(lines[:i], "")))
	}
	f.Add([]byte(strings.Replace(tinyLog, `"t":3600`, `"t":-1`, 1)))
	f.Add([]byte(strings.Replace(tinyLog, `"version":1`, `"version":2`, 1)))
	f.Add([]byte(testHeader + "\n" + `{"t":0,"kind":"end","entity":"x#1"}` + "\n"))
	f.Add([]byte(""))
	f.Add([]byte("\x00\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadEvents(bytes.NewReader(data))
		if err != nil && len(bytes.TrimSpace(data)) == 0 {
			return // "the event log is empty"
		}
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error is not a *LineError: %T %v", err, err)
			}
			if n := bytes.Count(data, []byte("\n")) + 1; le.Line < 1 || le.Line > n {
				t.Fatalf("error names line %d of %d: %v", le.Line, n, err)
			}
			return
		}
		if r.Horizon < 0 {
			t.Fatalf("negative horizon %d", r.Horizon)
		}
		for i := range r.NumEntities() {
			if r.EntityID(i) == "" {
				t.Fatal("an entity without an id")
			}
		}
	})
}
