package sim

import "fmt"

// LogLevel says which events a run writes to its event log (events.jsonl).
type LogLevel uint8

const (
	// LogAll writes every event.
	LogAll LogLevel = iota
	// LogLifecycle leaves out the renewals of leases that nothing cut short:
	// the bulk of a fleet's log, and nothing a chart or a report needs.
	// It keeps issues, ends (with their causes, cascades included),
	// replacements, failures of every kind, scripted actions, outages,
	// services' failing counts, every token renewal (the renewal chart
	// shows a token by default: the root of the first cliff or the first
	// token) and every renewal the hard end capped.
	LogLifecycle
	// LogNone writes no log.
	LogNone
)

// LogLevels are the names ParseLogLevel takes, in LogLevel order.
var LogLevels = []string{"all", "lifecycle", "none"}

func (l LogLevel) String() string { return LogLevels[l] }

// ParseLogLevel reads a --log value.
func ParseLogLevel(s string) (LogLevel, error) {
	for i, n := range LogLevels {
		if s == n {
			return LogLevel(i), nil
		}
	}
	return 0, fmt.Errorf("--log %q: want all, lifecycle or none", s)
}

// keeps says whether the log at level l has a line for ev.
func (e *Engine) keeps(l LogLevel, ev *LogEvent) bool {
	switch l {
	case LogAll:
		return true
	case LogNone:
		return false
	}
	return ev.Kind != LogRenew || e.ents[ev.Entity].kind != entLease || ev.Warnings.TTLCapped
}

// streamLog starts writing the log to Options.LogTo, if set: the header
// now, each event as it is recorded, the cliffs when the run is over. The
// engine then keeps no log in memory.
func (e *Engine) streamLog() {
	if e.opts.LogTo == nil || e.opts.LogLevel == LogNone {
		return
	}
	e.stream = newEventsWriter(e.opts.LogTo, e)
	e.streamErr = e.stream.header(e.loop.Horizon)
}

// endStream writes the cliff lines and reports the first write error.
func (e *Engine) endStream(r *Result) {
	if e.stream == nil {
		return
	}
	if e.streamErr == nil {
		e.streamErr = e.stream.cliffs(r)
	}
	r.LogErr = e.streamErr
}
