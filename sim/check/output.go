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
	failed, errored := 0, 0
	for _, r := range reps {
		if r.Err != nil {
			errored++
			fmt.Fprintf(&b, "ERROR %s: %s\n", r.Name, indent(r.Err.Error(), "  "))
			continue
		}
		verdict := "PASS"
		if !r.Passed() {
			verdict = "FAIL"
			failed++
		}
		fmt.Fprintf(&b, "%s %s (seed %d, to %s)\n", verdict, r.Name, r.Result.Seed, sim.FormatOffset(r.Result.Horizon))
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
				writeDetails(&b, v, "        ")
			}
		}
	}
	if len(reps) > 1 {
		fmt.Fprintf(&b, "%d of %d scenarios failed", failed, len(reps))
		if errored > 0 {
			fmt.Fprintf(&b, ", %d could not be checked", errored)
		}
		b.WriteString(".\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeDetails writes a violation's layer, root and fix with its proof.
func writeDetails(b *strings.Builder, v Violation, pre string) {
	if v.Layer != "" {
		fmt.Fprintf(b, "%slayer: %s\n", pre, v.Layer)
	}
	if v.Root != "" && v.Root != v.Entity {
		fmt.Fprintf(b, "%sroot:  %s (on %s's own chain)\n", pre, v.Root, v.Entity)
	}
	f := v.Fix
	if f == nil {
		return
	}
	fmt.Fprintf(b, "%sfix:   %s\n", pre, f.Text)
	more := pre + "       "
	if len(f.Set) > 0 {
		fmt.Fprintf(b, "%s%s\n", more, SetFlags(f.Set))
		if f.Verified {
			fmt.Fprintf(b, "%sverified: re-run with these overrides, the violation is gone\n", more)
		} else {
			fmt.Fprintf(b, "%snot verified: re-run with these overrides, still %s\n", more, strings.Join(f.Remains, "; "))
		}
	}
	for _, x := range f.Introduces {
		fmt.Fprintf(b, "%sbut the re-run has a new violation: %s\n", more, x)
	}
}

// SetFlags renders overrides as the --set flags that apply them, quoted
// for a POSIX shell.
func SetFlags(set []string) string {
	parts := make([]string, len(set))
	for i, s := range set {
		parts[i] = "--set " + shellQuote(s)
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-./=:,@%+", c)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

func indent(s, pre string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pre)
}

type jsonDoc struct {
	Passed    bool           `json:"passed"`
	Scenarios []jsonScenario `json:"scenarios"`
}

type jsonScenario struct {
	Scenario string     `json:"scenario"`
	SHA256   string     `json:"scenario_sha256,omitempty"`
	Tool     string     `json:"leasesim_version"`
	Seed     *uint64    `json:"seed,omitempty"`
	Passed   bool       `json:"passed"`
	Error    string     `json:"error,omitempty"`
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
	What          string   `json:"what"`
	At            *string  `json:"at"`
	OffsetSeconds *int64   `json:"offset_seconds"`
	Entity        string   `json:"entity,omitempty"`
	Root          string   `json:"root,omitempty"`
	Layer         string   `json:"layer,omitempty"`
	Fix           *jsonFix `json:"fix,omitempty"`
}

type jsonFix struct {
	Text       string   `json:"text"`
	Set        []string `json:"set"`
	Verified   bool     `json:"verified"`
	Remains    []string `json:"remains,omitempty"`
	Introduces []string `json:"introduces,omitempty"`
}

// WriteJSON writes the verdicts as one JSON document.
func WriteJSON(w io.Writer, reps []*Report) error {
	doc := jsonDoc{Passed: true, Scenarios: []jsonScenario{}}
	for _, r := range reps {
		js := jsonScenario{Scenario: r.Name, Tool: sim.Version, Passed: r.Passed(), Rules: []jsonRule{}}
		doc.Passed = doc.Passed && js.Passed
		if r.Err != nil {
			js.Error = r.Err.Error()
			doc.Scenarios = append(doc.Scenarios, js)
			continue
		}
		seed := r.Result.Seed
		js.Seed, js.SHA256 = &seed, r.Scenario.SHA256
		clk := sim.Clock{Start: r.Scenario.Start}
		for _, x := range r.Rules {
			jr := jsonRule{Rule: x.Rule, Source: x.Source, Limit: x.Limit, Passed: x.Passed(), Violations: []jsonViolation{}}
			for _, v := range x.Violations {
				jv := jsonViolation{What: v.What, Entity: v.Entity, Root: v.Root, Layer: v.Layer}
				if v.HasAt {
					at, off := clk.RFC3339(v.At), int64(v.At)
					jv.At, jv.OffsetSeconds = &at, &off
				}
				if f := v.Fix; f != nil {
					jv.Fix = &jsonFix{Text: f.Text, Set: append([]string{}, f.Set...), Verified: f.Verified, Remains: f.Remains, Introduces: f.Introduces}
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
// rule, a failure element per failed rule, and an error element for a
// scenario that could not be checked.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
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
	Error     *junitFailure `xml:"error,omitempty"`
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
		s := junitSuite{Name: r.Name, Time: "0"}
		class := "leasesim." + r.Name
		if r.Scenario != nil {
			for _, p := range sim.Provenance(r.Scenario) {
				s.Properties = append(s.Properties, junitProperty{p.Name, p.Value})
			}
		} else {
			s.Properties = []junitProperty{{"leasesim_version", sim.Version}}
		}
		if r.Err != nil {
			msg := r.Err.Error()
			s.Cases = append(s.Cases, junitCase{Name: "load and run", Classname: class, Time: "0",
				Error: &junitFailure{Message: firstLine(r.Err), Type: "bad-input", Text: msg + "\n"}})
			s.Errors++
		}
		for _, x := range r.Rules {
			c := junitCase{Name: fmt.Sprintf("%s: %s (%s)", x.Rule, x.Limit, x.Source), Classname: class, Time: "0"}
			if !x.Passed() {
				var text strings.Builder
				for _, v := range x.Violations {
					fmt.Fprintf(&text, "%s\n", v.What)
					writeDetails(&text, v, "  ")
				}
				c.Failure = &junitFailure{Message: x.Violations[0].What, Type: x.Rule, Text: text.String()}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
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
