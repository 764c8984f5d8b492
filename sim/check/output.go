package check

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/leasesim/leasesim/sim"
)

// WriteText writes the verdicts for people.
func WriteText(w io.Writer, reps []*Report) error {
	var b strings.Builder
	failed := 0
	for _, r := range reps {
		verdict := "PASS"
		if !r.Passed() {
			verdict = "FAIL"
			failed++
		}
		fmt.Fprintf(&b, "%s %s (seed %d, to %s)\n", verdict, r.Scenario.Name, r.Result.Seed, sim.FormatOffset(r.Result.Horizon))
		for _, x := range r.Rules {
			mark := "✓"
			if !x.Passed() {
				mark = "✗"
			}
			fmt.Fprintf(&b, "  %s %s: %s (%s)", mark, x.Rule, x.Limit, x.Source)
			if n := len(x.Violations); n > 0 {
				fmt.Fprintf(&b, " — %d violation%s", n, sim.Plural(n))
			}
			b.WriteString("\n")
			for _, v := range x.Violations {
				fmt.Fprintf(&b, "      %s\n", v.What)
				if v.Layer != "" {
					fmt.Fprintf(&b, "        layer: %s\n", v.Layer)
				}
				if v.Fix != "" {
					fmt.Fprintf(&b, "        fix:   %s\n", v.Fix)
				}
			}
		}
	}
	if len(reps) > 1 {
		fmt.Fprintf(&b, "%d of %d scenarios failed.\n", failed, len(reps))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonDoc struct {
	Passed    bool           `json:"passed"`
	Scenarios []jsonScenario `json:"scenarios"`
}

type jsonScenario struct {
	Scenario string     `json:"scenario"`
	SHA256   string     `json:"scenario_sha256"`
	Tool     string     `json:"leasesim_version"`
	Seed     uint64     `json:"seed"`
	Passed   bool       `json:"passed"`
	Rules    []jsonRule `json:"rules"`
}

type jsonRule struct {
	Rule       string          `json:"rule"`
	Source     string          `json:"source"`
	Limit      string          `json:"limit"`
	Passed     bool            `json:"passed"`
	Violations []jsonViolation `json:"violations"`
}

type jsonViolation struct {
	What          string  `json:"what"`
	At            *string `json:"at"`
	OffsetSeconds *int64  `json:"offset_seconds"`
	Entity        string  `json:"entity,omitempty"`
	Layer         string  `json:"layer,omitempty"`
	Fix           string  `json:"fix,omitempty"`
}

// WriteJSON writes the verdicts as one JSON document.
func WriteJSON(w io.Writer, reps []*Report) error {
	doc := jsonDoc{Passed: true, Scenarios: []jsonScenario{}}
	for _, r := range reps {
		clk := sim.Clock{Start: r.Scenario.Start}
		js := jsonScenario{Scenario: r.Scenario.Name, SHA256: r.Scenario.SHA256, Tool: sim.Version, Seed: r.Result.Seed, Passed: r.Passed(), Rules: []jsonRule{}}
		doc.Passed = doc.Passed && js.Passed
		for _, x := range r.Rules {
			jr := jsonRule{Rule: x.Rule, Source: x.Source, Limit: x.Limit, Passed: x.Passed(), Violations: []jsonViolation{}}
			for _, v := range x.Violations {
				jv := jsonViolation{What: v.What, Entity: v.Entity, Layer: v.Layer, Fix: v.Fix}
				if v.HasAt {
					at, off := clk.RFC3339(v.At), int64(v.At)
					jv.At, jv.OffsetSeconds = &at, &off
				}
				jr.Violations = append(jr.Violations, jv)
			}
			js.Rules = append(js.Rules, jr)
		}
		doc.Scenarios = append(doc.Scenarios, js)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// JUnit XML, in the shape CI systems render (Jenkins, GitLab, GitHub
// actions' test reporters): one testsuite per scenario, one testcase per
// rule, a failure element per failed rule.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the verdicts as JUnit XML.
func WriteJUnit(w io.Writer, reps []*Report) error {
	doc := junitSuites{Name: "leasesim check"}
	for _, r := range reps {
		s := junitSuite{Name: r.Scenario.Name, Time: "0"}
		for _, p := range sim.Provenance(r.Scenario) {
			s.Properties = append(s.Properties, junitProperty{p.Name, p.Value})
		}
		for _, x := range r.Rules {
			c := junitCase{Name: fmt.Sprintf("%s: %s (%s)", x.Rule, x.Limit, x.Source), Classname: "leasesim." + r.Scenario.Name, Time: "0"}
			if !x.Passed() {
				var text strings.Builder
				for _, v := range x.Violations {
					fmt.Fprintf(&text, "%s\n", v.What)
					if v.Layer != "" {
						fmt.Fprintf(&text, "  layer: %s\n", v.Layer)
					}
					if v.Fix != "" {
						fmt.Fprintf(&text, "  fix: %s\n", v.Fix)
					}
				}
				c.Failure = &junitFailure{Message: x.Violations[0].What, Type: x.Rule, Text: text.String()}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
