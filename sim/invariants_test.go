package sim

// Invariants of a whole run, checked after it from its event log, its
// result, report.json and events.jsonl (issue 13 item 7). They complement
// the per-event checks of property_test.go:
//
//   - lifecycle: an entity is issued once, before anything else about it;
//     it ends at most once; nothing renews, replaces or reports it done
//     after its end, and nothing is issued under an ended token;
//   - outages: nothing is issued or renewed while the backend is down
//     (between an outage script and the next backend-up);
//   - agreement: the log, the result and report.json count the same
//     entities, ends, cliffs (each cliff's in-use entities are the ends
//     rooted at its roots at its instant), outages (each is a service going
//     from no failing replica to some and back, in the log's service
//     events) and
//     failed requests (outages, services and impact windows sum alike);
//   - form: events.jsonl is a header then one JSON object per log entry
//     with a known kind and non-decreasing time, then one line per cliff.
//
// TestInvariantsCatchPlantedViolations plants a violation of each and
// checks it is caught.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// checkRunInvariants returns "" or the first invariant res, its
// report.json and events.jsonl break.
func checkRunInvariants(res *Result, report, events []byte) string {
	if msg := checkLifecycle(res); msg != "" {
		return msg
	}
	if msg := checkCounts(res); msg != "" {
		return msg
	}
	if msg := checkReportJSON(res, report); msg != "" {
		return msg
	}
	if events != nil {
		return checkEventsJSONL(res, events)
	}
	return ""
}

func logf(i int, ev *LogEvent, format string, args ...any) string {
	return fmt.Sprintf("log entry #%d (%s at t=%d, entity %d): ", i, ev.Kind, ev.At, ev.Entity) + fmt.Sprintf(format, args...)
}

// checkLifecycle walks the log in order.
func checkLifecycle(res *Result) string {
	ents := res.engine.ents
	issued := make([]bool, len(ents))
	ended := make([]bool, len(ents))
	down, downUntil := false, model.Instant(-1)
	var last model.Instant
	for i := range res.Log {
		ev := &res.Log[i]
		if ev.At < last || ev.At < 0 || ev.At > res.Horizon {
			return logf(i, ev, "time %d out of order (previous %d, horizon %d)", ev.At, last, res.Horizon)
		}
		last = ev.At
		if ev.Kind < LogIssue || ev.Kind > LogService {
			return logf(i, ev, "unknown kind %d", ev.Kind)
		}
		n := ev.Entity
		if n != model.None && (n < 0 || int(n) >= len(ents)) {
			return logf(i, ev, "no such entity")
		}
		down = ev.At < downUntil
		switch ev.Kind {
		case LogIssue:
			if issued[n] {
				return logf(i, ev, "%s issued twice", res.EntityID(n))
			}
			issued[n] = true
			if p := res.engine.parentOf(n); p != model.None && ended[p] {
				return logf(i, ev, "%s issued under %s, which had ended", res.EntityID(n), res.EntityID(p))
			}
			if down {
				return logf(i, ev, "%s issued while the backend was down", res.EntityID(n))
			}
		case LogRenew, LogRenewFailed, LogDone, LogReplace, LogEnd:
			if !issued[n] {
				return logf(i, ev, "entity %d not issued yet", n)
			}
			if ended[n] {
				return logf(i, ev, "%s after %s ended", ev.Kind, res.EntityID(n))
			}
			if ev.Kind == LogRenew && down {
				return logf(i, ev, "%s renewed while the backend was down", res.EntityID(n))
			}
			if ev.Kind == LogEnd {
				ended[n] = true
			}
		case LogScript:
			// Down from the outage script until the latest until of the
			// outages begun so far: overlapping outages extend each other.
			if strings.HasPrefix(ev.Note, "outage") {
				for _, se := range res.Scenario.Events {
					if se.Do == scenarios.EventOutage && se.At == ev.At {
						downUntil = max(downUntil, se.Until)
					}
				}
			}
		}
		down = ev.At < downUntil
	}
	for n := range ents {
		if !issued[n] {
			return fmt.Sprintf("%s was never logged as issued", res.EntityID(model.NodeID(n)))
		}
		if ended[n] != ents[n].ended {
			return fmt.Sprintf("%s: the log says ended=%v, the engine %v", res.EntityID(model.NodeID(n)), ended[n], ents[n].ended)
		}
	}
	return ""
}

// near compares sums of failed requests, computed in different orders.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(a)) }

// checkCounts checks that the result agrees with its log.
func checkCounts(res *Result) string {
	ends := 0
	for i := range res.Log {
		if res.Log[i].Kind == LogEnd {
			ends++
		}
	}
	endedFates := 0
	for _, f := range res.Fates() {
		if f.Ended {
			endedFates++
		}
	}
	if len(res.Fates()) != len(res.engine.ents) || endedFates != ends {
		return fmt.Sprintf("the result has %d entities, %d ended; the log %d issued, %d ended", len(res.Fates()), endedFates, len(res.engine.ents), ends)
	}
	// A cliff's in-use tokens and leases are the ends of entities still
	// in use rooted at its roots at its instant; the replaced entities it
	// counts are among those ending then.
	type atRoot struct {
		at   model.Instant
		root model.NodeID
	}
	inUse := map[atRoot]int{}
	retiredAt := map[model.Instant]int{}
	for i := range res.Log {
		if ev := &res.Log[i]; ev.Kind == LogEnd {
			if res.engine.ents[ev.Entity].retired {
				retiredAt[ev.At]++
			} else {
				inUse[atRoot{ev.At, ev.Root}]++
			}
		}
	}
	for ci := range res.Cliffs {
		c := &res.Cliffs[ci]
		n := 0
		for _, r := range c.Roots {
			n += inUse[atRoot{c.At, r}]
		}
		if n != c.Size() || c.Retired > retiredAt[c.At] {
			return fmt.Sprintf("cliff #%d at t=%d counts %d tokens, %d leases, %d replaced; the log has %d in use rooted at %v and %d replaced ending then",
				ci, c.At, c.Tokens, c.Leases, c.Retired, n, c.Roots, retiredAt[c.At])
		}
	}
	// An outage is a service going from no failing replica to some and
	// back, later (a hand-over at one instant is none), or still failing
	// at the horizon.
	outages := map[string]int{}
	failing := map[int32]int32{}
	openAt := map[int32]model.Instant{}
	for i := range res.Log {
		ev := &res.Log[i]
		if ev.Kind != LogService {
			continue
		}
		switch was := failing[ev.Actor]; {
		case was == 0 && ev.Failing > 0:
			openAt[ev.Actor] = ev.At
		case was > 0 && ev.Failing == 0 && ev.At > openAt[ev.Actor]:
			outages[res.ActorName(ev.Actor)]++
		}
		failing[ev.Actor] = ev.Failing
	}
	for a, f := range failing {
		if f > 0 && res.Horizon > openAt[a] {
			outages[res.ActorName(a)]++
		}
	}
	var byOutage, byService, byImpact float64
	for _, s := range res.Services {
		if s.Outages != outages[s.Name] {
			return fmt.Sprintf("service %s has %d outages; the log shows %d", s.Name, s.Outages, outages[s.Name])
		}
		byService += s.FailedRequests
	}
	for _, o := range res.Outages {
		byOutage += o.FailedRequests
	}
	for _, w := range res.Impacts {
		byImpact += w.FailedRequests
	}
	if !near(byOutage, byService) || !near(byOutage, byImpact) {
		return fmt.Sprintf("failed requests disagree: outages %g, services %g, impact windows %g", byOutage, byService, byImpact)
	}
	return ""
}

// checkReportJSON checks report.json's counts against the result.
func checkReportJSON(res *Result, report []byte) string {
	var doc reportDoc
	if err := json.Unmarshal(report, &doc); err != nil {
		return "report.json does not parse: " + err.Error()
	}
	if len(doc.Cliffs) != len(res.Cliffs) || len(doc.Outages) != len(res.Outages) || len(doc.Entities) != len(res.Fates()) ||
		len(doc.Services) != len(res.Services) || doc.Events != res.Events {
		return fmt.Sprintf("report.json has %d cliffs, %d outages, %d entities, %d services, %d events; the run %d, %d, %d, %d, %d",
			len(doc.Cliffs), len(doc.Outages), len(doc.Entities), len(doc.Services), doc.Events,
			len(res.Cliffs), len(res.Outages), len(res.Fates()), len(res.Services), res.Events)
	}
	for i, c := range doc.Cliffs {
		r := &res.Cliffs[i]
		if c.TokensRevoked != r.Tokens || c.LeasesRevoked != r.Leases || c.RetiredRevoked != r.Retired || c.OffsetSeconds != int64(r.At) {
			return fmt.Sprintf("report.json cliff #%d counts %d/%d/%d at %d; the run %d/%d/%d at %d", i,
				c.TokensRevoked, c.LeasesRevoked, c.RetiredRevoked, c.OffsetSeconds, r.Tokens, r.Leases, r.Retired, r.At)
		}
	}
	for i, o := range doc.Outages {
		if r := res.Outages[i]; math.Abs(o.FailedRequests-r.FailedRequests) > 0.0005+1e-9*r.FailedRequests || o.FromOffset != int64(r.From) {
			return fmt.Sprintf("report.json outage #%d has %g failed requests from %d; the run %g from %d", i, o.FailedRequests, o.FromOffset, r.FailedRequests, r.From)
		}
	}
	return ""
}

// checkEventsJSONL checks the form of events.jsonl and that it holds the log.
func checkEventsJSONL(res *Result, events []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(events))
	sc.Buffer(nil, 1<<20)
	kinds := map[string]bool{"cliff": true, "revocation": true}
	for k := LogIssue; k <= LogService; k++ {
		kinds[k.String()] = true
	}
	line, logLines, cliffLines, revLines, revAttempts := 0, 0, 0, 0, 0
	last := int64(math.MinInt64)
	for sc.Scan() {
		line++
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			return fmt.Sprintf("events.jsonl line %d is not a JSON object: %v", line, err)
		}
		if line == 1 {
			if _, ok := obj["version"]; !ok {
				return "events.jsonl line 1 is not the header (no version)"
			}
			continue
		}
		var kind string
		if err := json.Unmarshal(obj["kind"], &kind); err != nil || !kinds[kind] {
			return fmt.Sprintf("events.jsonl line %d has kind %s", line, obj["kind"])
		}
		if kind == "revocation" { // aggregated per second and mount, after the cliffs
			var n struct{ Attempts int }
			if err := json.Unmarshal(sc.Bytes(), &n); err != nil {
				return fmt.Sprintf("events.jsonl line %d: %v", line, err)
			}
			revLines++
			revAttempts += n.Attempts
			continue
		}
		if revLines > 0 {
			return fmt.Sprintf("events.jsonl line %d: a %s after the revocation lines", line, kind)
		}
		if kind == "cliff" {
			cliffLines++
			continue
		}
		if cliffLines > 0 {
			return fmt.Sprintf("events.jsonl line %d: a %s after the cliffs", line, kind)
		}
		var t int64
		if err := json.Unmarshal(obj["t"], &t); err != nil || t < last {
			return fmt.Sprintf("events.jsonl line %d: time %s before %d", line, obj["t"], last)
		}
		last = t
		logLines++
	}
	if err := sc.Err(); err != nil {
		return "events.jsonl: " + err.Error()
	}
	if logLines != len(res.Log) || cliffLines != len(res.Cliffs) {
		return fmt.Sprintf("events.jsonl has %d events and %d cliffs; the run %d and %d", logLines, cliffLines, len(res.Log), len(res.Cliffs))
	}
	wantLines, wantAttempts := 0, 0
	if v := res.Revocation; v != nil {
		wantLines, wantAttempts = len(v.Seconds), v.Attempts
	}
	if revLines != wantLines || revAttempts != wantAttempts {
		return fmt.Sprintf("events.jsonl has %d revocation lines with %d attempts; the run %d and %d", revLines, revAttempts, wantLines, wantAttempts)
	}
	return ""
}

// plantRun is default-max-cliff with a scripted outage: cliffs, renewals,
// service outages and a backend that goes down.
func plantRun(t *testing.T) (*Result, []byte, []byte) {
	t.Helper()
	src, err := scenarios.Source("default-max-cliff")
	require.NoError(t, err)
	src = bytes.Replace(src, []byte("replicas: 20"), []byte("replicas: 3"), 1) // small: fast
	src = append(src, "\nevents:\n  - {at: 100h, do: outage, until: 110h}\n"...)
	s, err := scenarios.Parse("plant.yaml", src)
	require.NoError(t, err)
	_, res, rep, ev, err := propRun(s, Options{RecordLog: true}, nil)
	require.NoError(t, err)
	require.Empty(t, checkRunInvariants(res, rep, ev), "the unplanted run is clean")
	require.NotEmpty(t, res.Cliffs)
	require.NotEmpty(t, res.Outages)
	return res, rep, ev
}

// plantOutage makes the backend go down (for a second) just before log
// entry i: a scenario outage and its script entry.
func plantOutage(res *Result, i int) {
	at := res.Log[i].At
	res.Scenario.Events = append(res.Scenario.Events, scenarios.Event{Do: scenarios.EventOutage, At: at, Until: at + 1})
	res.Log = slices.Insert(res.Log, i, LogEvent{At: at, Kind: LogScript, Entity: model.None, Note: "outage"})
}

// findLog is the index of the first log entry that match accepts.
func findLog(t *testing.T, res *Result, match func(*LogEvent) bool) int {
	t.Helper()
	for i := range res.Log {
		if match(&res.Log[i]) {
			return i
		}
	}
	t.Fatal("no such log entry")
	return -1
}

// Each invariant, violated on purpose, is caught with a message that says
// which.
func TestInvariantsCatchPlantedViolations(t *testing.T) {
	insert := func(log []LogEvent, i int, evs ...LogEvent) []LogEvent {
		return slices.Insert(slices.Clone(log), i, evs...)
	}
	tests := []struct {
		name  string
		plant func(t *testing.T, res *Result, rep, ev *[]byte)
		want  string
	}{
		{"renew after end", func(t *testing.T, res *Result, _, _ *[]byte) {
			i := findLog(t, res, func(ev *LogEvent) bool { return ev.Kind == LogEnd })
			end := res.Log[i]
			res.Log = insert(res.Log, i+1, LogEvent{At: end.At, Kind: LogRenew, Entity: end.Entity})
		}, "renew after"},
		{"issue under an ended token", func(t *testing.T, res *Result, _, _ *[]byte) {
			i := findLog(t, res, func(ev *LogEvent) bool {
				return ev.Kind == LogIssue && res.engine.parentOf(ev.Entity) != model.None
			})
			p := res.engine.parentOf(res.Log[i].Entity)
			// The parent's end moved before its child's issue.
			j := findLog(t, res, func(ev *LogEvent) bool { return ev.Kind == LogEnd && ev.Entity == p })
			end := res.Log[j]
			log := slices.Delete(slices.Clone(res.Log), j, j+1)
			end.At = log[i].At
			res.Log = insert(log, i, end)
		}, "which had ended"},
		{"issue while down", func(t *testing.T, res *Result, _, _ *[]byte) {
			i := findLog(t, res, func(ev *LogEvent) bool { return ev.Kind == LogIssue && ev.At > 0 })
			plantOutage(res, i)
		}, "issued while the backend was down"},
		{"renew while down", func(t *testing.T, res *Result, _, _ *[]byte) {
			i := findLog(t, res, func(ev *LogEvent) bool { return ev.Kind == LogRenew })
			plantOutage(res, i)
		}, "renewed while the backend was down"},
		{"overlapping outages", func(t *testing.T, res *Result, _, _ *[]byte) {
			// A second outage inside the scripted 100h-110h one; the log
			// says the backend came up when it ended, and an issue follows.
			o := res.Scenario.Events[len(res.Scenario.Events)-1]
			in := o.At + 3600
			res.Scenario.Events = append(res.Scenario.Events, scenarios.Event{Do: scenarios.EventOutage, At: in, Until: in + 3600})
			i := findLog(t, res, func(ev *LogEvent) bool { return ev.At >= in })
			res.Log = insert(res.Log, i, LogEvent{At: in, Kind: LogScript, Entity: model.None, Note: "outage"})
			j := findLog(t, res, func(ev *LogEvent) bool { return ev.At >= in+3600 })
			res.Log = insert(res.Log, j, // the broker, alive to day 32, renewed
				LogEvent{At: in + 3600, Kind: LogOutageEnd, Entity: model.None},
				LogEvent{At: in + 3600, Kind: LogRenew, Entity: 0})
		}, "while the backend was down"},
		{"time backwards", func(t *testing.T, res *Result, _, _ *[]byte) {
			i := findLog(t, res, func(ev *LogEvent) bool { return ev.At > 0 })
			res.Log = insert(res.Log, i+1, LogEvent{At: res.Log[i].At - 1, Kind: LogOutageEnd, Entity: model.None})
		}, "out of order"},
		{"cliff count", func(t *testing.T, res *Result, _, _ *[]byte) {
			res.Cliffs[0].Leases++
		}, "cliff #0"},
		{"outage count", func(t *testing.T, res *Result, _, _ *[]byte) {
			res.Services[0].Outages++
		}, "outages; the log shows"},
		{"failed requests", func(t *testing.T, res *Result, _, _ *[]byte) {
			res.Outages[0].FailedRequests *= 1.01
		}, "failed requests disagree"},
		{"report.json cliff", func(t *testing.T, res *Result, rep, _ *[]byte) {
			c := &res.Cliffs[0]
			from := fmt.Sprintf(`"tokens_revoked": %d`, c.Tokens)
			require.Contains(t, string(*rep), from)
			*rep = []byte(strings.Replace(string(*rep), from, fmt.Sprintf(`"tokens_revoked": %d`, c.Tokens+1), 1))
		}, "report.json cliff #0"},
		{"report.json not JSON", func(t *testing.T, res *Result, rep, _ *[]byte) {
			*rep = (*rep)[:len(*rep)/2]
		}, "report.json does not parse"},
		{"events.jsonl line broken", func(t *testing.T, res *Result, _, ev *[]byte) {
			lines := bytes.SplitAfter(*ev, []byte("\n"))
			lines[5] = lines[5][:10]
			*ev = bytes.Join(lines, nil)
		}, "events.jsonl line 6 is not a JSON object"},
		{"events.jsonl line lost", func(t *testing.T, res *Result, _, ev *[]byte) {
			lines := bytes.SplitAfter(*ev, []byte("\n"))
			*ev = bytes.Join(slices.Delete(lines, 7, 8), nil)
		}, "events.jsonl has"},
		{"events.jsonl unknown kind", func(t *testing.T, res *Result, _, ev *[]byte) {
			*ev = bytes.Replace(*ev, []byte(`"kind":"renew"`), []byte(`"kind":"renewed"`), 1)
		}, `has kind "renewed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, rep, ev := plantRun(t)
			tt.plant(t, res, &rep, &ev)
			assert.Contains(t, checkRunInvariants(res, rep, ev), tt.want)
		})
	}
}
