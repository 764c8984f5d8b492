package sim

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/leasesim/leasesim/scenarios"
)

// FuzzRun drives the whole run: parse → explain → run → report.json and
// events.jsonl. A scenario that parses must run within small budgets
// without panicking, satisfy the whole-run invariants (invariants_test.go)
// and give a report.json that decodes and encodes back to the same bytes.
// Seeds: the library and sim/testdata/fuzz/FuzzRun.
//
//	go test ./sim -run x -fuzz FuzzRun
func FuzzRun(f *testing.F) {
	for _, e := range scenarios.List() {
		data, err := scenarios.Source(e.Name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenarios.Parse("f.yaml", data)
		if err != nil {
			return
		}
		if _, err := Explain(s); err != nil {
			return // the backend would refuse an issue: run refuses it too
		}
		_, res, rep, ev, err := propRun(s, Options{RecordLog: true, Budget: 5_000, MaxLive: 1_000, MaxEntities: 1_000}, nil)
		if err != nil {
			t.Fatalf("writing the report: %v", err)
		}
		if res.Outcome.Exhausted() && res.BudgetErr() == nil {
			t.Fatal("a budget stopped the run but BudgetErr is nil")
		}
		if msg := checkRunInvariants(res, rep, ev); msg != "" {
			t.Fatal(msg)
		}
		var doc reportDoc
		if err := json.Unmarshal(rep, &doc); err != nil {
			t.Fatalf("report.json does not decode: %v", err)
		}
		var again bytes.Buffer
		enc := json.NewEncoder(&again)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rep, again.Bytes()) {
			t.Fatalf("report.json changes in a decode/encode round trip:\n%s", firstDiff(rep, again.Bytes()))
		}
	})
}
