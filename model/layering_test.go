package model_test

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/leasesim/leasesim/"

// Imports point inward. Each package may import only the project packages
// listed, each for a reason; anything else is a layering error.
func TestImportsPointInward(t *testing.T) {
	allowed := map[string][]string{
		"model":           {},                                 // the rules: nothing of clocks, files or the CLI
		"scenarios":       {"model"},                          // parses files into the model's types
		"scenarios/vault": {"model"},                          // reads Vault JSON into the model's types
		"entityid":        {},                                 // the one naming scheme of tokens and credentials
		"plots":           {},                                 // draws from events.jsonl alone
		"sim":             {"model", "scenarios", "entityid"}, // runs scenarios through the rules
		"sim/check":       {"model", "scenarios", "sim"},      // judges runs
		"sim/compare":     {"model", "scenarios", "sim"},      // compares runs
		"sim/sweep":       {"model", "scenarios", "sim"},      // runs grids of scenarios
	}
	for pkg, ok := range allowed {
		p, err := build.Import(module+pkg, filepath.Join("..", pkg), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			permitted := false
			for _, a := range ok {
				permitted = permitted || a == dep
			}
			if !permitted {
				t.Errorf("%s imports %s: not allowed (allowed: %v)", pkg, dep, ok)
			}
		}
	}
}
