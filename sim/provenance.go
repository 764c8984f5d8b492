package sim

import "github.com/leasesim/leasesim/scenarios"

// Version is leasesim's version as reports record it. The CLI sets it
// from the build; tests see "dev", so goldens do not change per build.
var Version = "dev"

// Property is one name=value a report records about where it came from.
type Property struct{ Name, Value string }

// Provenance ties a report to a build and an input: the tool version and
// the SHA-256 of the scenario as given (after --set). report.json, check's
// JSON and JUnit properties all record these two.
func Provenance(s *scenarios.Scenario) []Property {
	return []Property{{"leasesim_version", Version}, {"scenario_sha256", s.SHA256}}
}
