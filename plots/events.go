package plots

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// None marks an instant that did not happen (an entity that never ended,
// was never replaced, ...). Every real instant is a non-negative offset.
const None int64 = -1

// Run is a run as its event log records it: what the charts draw.
type Run struct {
	Scenario    string
	Description string
	Seed        uint64
	Start       time.Time // virtual time zero, in the scenario's zone
	Horizon     int64     // seconds from Start to where the run stopped

	Services    []Service    // in the header's order
	Annotations []Annotation // in the header's order
	Scripts     []Script     // operators' scripted events, in order
	Cliffs      []Cliff      // in the log's order (by time)
	ents        store        // the tokens and credentials, in issue order (store.go)
	// revocation is the expiration manager's work per second and mount,
	// when the run modelled it (the trailing "revocation" lines).
	revocation blockList[revocationSecond]

	// revocationWithoutEnded is the first revocation line without
	// "ended" (an older log), 0 if none: only the revocation chart needs it.
	revocationWithoutEnded int
}

// Service is a service with demand and its failing replicas over time.
type Service struct {
	Name            string
	Replicas        int
	DemandPerSecond float64
	// Steps is how many replicas lack a valid credential, from each
	// instant on, one step per instant (the last value the log recorded
	// at that instant). Before the first step the service is not running.
	Steps []FailingStep
}

// FailingStep says that from T on, Failing replicas of a service fail.
type FailingStep struct {
	T       int64
	Failing int
}

// Annotation is a labelled instant of the scenario (an incident timeline).
type Annotation struct {
	T     int64
	Label string
}

// Script is an operator's scripted event as the log records it.
type Script struct {
	T      int64
	Note   string // e.g. "reauth broker-core-a"
	Failed bool
}

// Cliff is a mass end the run reported (report.json's cliffs[]).
type Cliff struct {
	T               int64
	Root            string
	Roots           []string
	Cause           string // max-ttl, expired, revoked
	BoundBy         string // the layer that set the roots' end, or "operator"
	LifetimeSeconds int64
	TokensRevoked   int
	LeasesRevoked   int
	ReplacedRevoked int
	Services        []string
}

// Entity is a token, child token or lease from issue to end: a view the
// run builds on demand (Run.Entity, Run.EntityAt), not what it keeps.
type Entity struct {
	ID         string
	Kind       string // token, child-token, lease
	Actor      string
	Parent     string // at issue; "" for none
	Replica    int    // from the ID: ACTOR[R]...; 0 when the ID has none
	Generation int    // from the ID: ...#G

	// Grants are the issue (Grants[0]) and every successful renewal;
	// none when the reader was told not to keep them
	// (ReadOptions.KeepGrants). Renewals counts them either way.
	Grants   []Grant
	Renewals int
	// FailedRenewals are the instants of renewals the backend refused
	// (kept with the grants).
	FailedRenewals []int64
	kept           bool // Grants holds every renewal
	issued         int64

	Done     int64  // when the renewing watcher gave up, or None
	Replaced int64  // when its holder moved on, or None
	Ended    int64  // when it ended, or None if alive at the horizon
	Cause    string // end cause (report.json end_cause); "alive" if alive
	BoundBy  string // the layer that set the end; "" if alive
	Root     string // for cascades, the entity whose end caused it
	HardEnd  int64  // its ceiling as last granted, or None if it has none
}

// Grant is what the backend granted at issue or renewal.
type Grant struct {
	T       int64
	TTL     int64
	Expire  int64 // None for a token that never expires (a root token, TTL 0)
	HardEnd int64 // None when there is none
	BoundBy string
	// Capped: Vault warned that it cut the TTL short at the hard end
	// (events.jsonl "warnings"). A grant that reaches the hard end exactly
	// carries no warning and is not capped (semantics.md §1 step 6).
	Capped bool
}

// KeptGrants says whether the reader kept every renewal of the entity.
func (e *Entity) KeptGrants() bool { return e.kept }

// Issued is when the entity was issued.
func (e *Entity) Issued() int64 { return e.issued }

// IsToken says whether the entity is a token or a child token.
func (e *Entity) IsToken() bool { return e.Kind == "token" || e.Kind == "child-token" }

// Entity returns the entity with the given ID.
func (r *Run) Entity(id string) (*Entity, bool) {
	i, ok := r.ents.lookup([]byte(id))
	if !ok {
		return nil, false
	}
	return r.ents.view(i), true
}

// NumEntities is how many tokens and credentials the log issued.
func (r *Run) NumEntities() int { return r.ents.n }

// EntityAt returns the i-th entity issued, from 0.
func (r *Run) EntityAt(i int) *Entity { return r.ents.view(int32(i)) }

// EntityID is the ID of the i-th entity issued, from 0.
func (r *Run) EntityID(i int) string { return r.ents.id(int32(i)) }

// Time converts an offset into a date in the scenario's zone.
func (r *Run) Time(t int64) time.Time { return r.Start.Add(time.Duration(t) * time.Second) }

// LineError is a problem in the event log, at a line and field.
type LineError struct {
	Line    int
	Field   string // "" when the line as a whole is wrong
	Problem string
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("plots: events line %d: %s", e.Line, e.Problem)
	}
	return fmt.Sprintf("plots: events line %d: field %q: %s", e.Line, e.Field, e.Problem)
}

func lineErr(line int, field, format string, args ...any) error {
	return &LineError{Line: line, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// maxLineBytes bounds one line of the log; the header of a large fleet is
// the longest and stays far below it.
const maxLineBytes = 64 << 20

// ReadEvents parses an events.jsonl log (version 1): the header, one line
// per event and the trailing cliff lines. Any problem is a *LineError naming
// the line and the field.
func ReadEvents(r io.Reader) (*Run, error) { return ReadEventsWith(r, ReadOptions{}) }

// ReadOptions tune what ReadEventsWith keeps.
type ReadOptions struct {
	// KeepGrants says, at each issue, whether to keep that entity's
	// renewals (only the renewal chart draws them); nil keeps all. Most
	// of a long run's log is renewals: keeping one entity's, the reader
	// streams the log in memory that grows with the entities issued, not
	// with the log (docs/plots.md).
	KeepGrants func(id, kind string) bool
}

// ReadEventsWith is ReadEvents with options. It reads r line by line
// through a 1 MiB buffer and never holds the whole log.
func ReadEventsWith(r io.Reader, opts ReadOptions) (*Run, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	p := &parser{run: &Run{ents: newStore()}, services: map[string]int{}, interned: map[string]string{}, keep: opts.KeepGrants}
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			p.line++
			if perr := p.parseLine(line); perr != nil {
				return nil, perr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("plots: reading events line %d: %w", p.line+1, err)
		}
	}
	if p.line == 0 {
		return nil, errors.New("plots: the event log is empty")
	}
	p.finish()
	return p.run, nil
}

// readLine returns the next line without its newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull && len(long) <= maxLineBytes {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		if len(long) > maxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		line = long
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line, err
}

type parser struct {
	run       *Run
	line      int
	lastT     int64
	services  map[string]int    // name -> position; lookups only
	interned  map[string]string // repeated strings share one copy
	sawCliff  bool
	sawHeader bool
	keep      func(id, kind string) bool
}

func (p *parser) intern(b []byte) string {
	if s, ok := p.interned[string(b)]; ok {
		return s
	}
	s := string(b)
	p.interned[s] = s
	return s
}

func (p *parser) parseLine(line []byte) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return lineErr(p.line, "", "empty line")
	}
	if !p.sawHeader {
		p.sawHeader = true
		return p.parseHeader(line)
	}
	var ev event
	if err := scanEvent(line, &ev, p.intern); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return lineErr(p.line, fe.field, "%s", fe.problem)
		}
		return lineErr(p.line, "", "%v", err)
	}
	if ev.kind == "revocation" {
		return p.parseRevocation(line)
	}
	if ev.kind == "cliff" {
		return p.parseCliff(line)
	}
	if p.sawCliff {
		return lineErr(p.line, "kind", "event %q after the cliff lines, which come last", ev.kind)
	}
	if !ev.hasT {
		return lineErr(p.line, "t", "missing")
	}
	if ev.t < p.lastT {
		return lineErr(p.line, "t", "%d is before the previous event's %d; events are in processing order", ev.t, p.lastT)
	}
	if ev.t > p.run.Horizon {
		return lineErr(p.line, "t", "%d is past the header's horizon_seconds %d", ev.t, p.run.Horizon)
	}
	p.lastT = ev.t
	return p.apply(&ev)
}

type headerJSON struct {
	Version     *int   `json:"version"`
	Scenario    string `json:"scenario"`
	Description string `json:"description"`
	Seed        uint64 `json:"seed"`
	Start       string `json:"start"`
	Horizon     *int64 `json:"horizon_seconds"`
	Services    []struct {
		Service  string  `json:"service"`
		Replicas int     `json:"replicas"`
		Demand   float64 `json:"demand_per_second"`
	} `json:"services"`
	Annotations []struct {
		T     *int64 `json:"t"`
		Label string `json:"label"`
	} `json:"annotations"`
}

func (p *parser) parseHeader(line []byte) error {
	var h headerJSON
	if err := json.Unmarshal(line, &h); err != nil {
		return lineErr(p.line, jsonField(err), "the header is not a valid JSON object: %v", err)
	}
	switch {
	case h.Version == nil:
		return lineErr(p.line, "version", "missing: the first line must be the header")
	case *h.Version != 1:
		return lineErr(p.line, "version", "%d is not supported; this leasesim reads version 1", *h.Version)
	case h.Horizon == nil:
		return lineErr(p.line, "horizon_seconds", "missing")
	case *h.Horizon < 0:
		return lineErr(p.line, "horizon_seconds", "negative")
	case *h.Horizon > maxHorizon:
		return lineErr(p.line, "horizon_seconds", "%d is more than %d (136 years; leasesim runs at most 100)", *h.Horizon, int64(maxHorizon))
	}
	start, err := time.Parse(time.RFC3339, h.Start)
	if err != nil {
		return lineErr(p.line, "start", "%q is not an RFC 3339 time", h.Start)
	}
	r := p.run
	r.Scenario, r.Description, r.Seed, r.Start, r.Horizon = h.Scenario, h.Description, h.Seed, start, *h.Horizon
	for i, s := range h.Services {
		if s.Service == "" {
			return lineErr(p.line, fmt.Sprintf("services[%d].service", i), "missing")
		}
		if _, dup := p.services[s.Service]; dup {
			return lineErr(p.line, fmt.Sprintf("services[%d].service", i), "%q is listed twice", s.Service)
		}
		if s.Replicas < 1 {
			return lineErr(p.line, fmt.Sprintf("services[%d].replicas", i), "must be at least 1")
		}
		p.services[s.Service] = len(r.Services)
		r.Services = append(r.Services, Service{Name: s.Service, Replicas: s.Replicas, DemandPerSecond: s.Demand})
	}
	for i, a := range h.Annotations {
		if a.T == nil {
			return lineErr(p.line, fmt.Sprintf("annotations[%d].t", i), "missing")
		}
		r.Annotations = append(r.Annotations, Annotation{T: *a.T, Label: a.Label})
	}
	return nil
}

type cliffJSON struct {
	Offset          *int64   `json:"offset_seconds"`
	Root            string   `json:"root"`
	Roots           []string `json:"roots"`
	Cause           string   `json:"cause"`
	BoundBy         string   `json:"bound_by"`
	LifetimeSeconds int64    `json:"lifetime_seconds"`
	TokensRevoked   int      `json:"tokens_revoked"`
	LeasesRevoked   int      `json:"leases_revoked"`
	ReplacedRevoked int      `json:"replaced_revoked"`
	Services        []string `json:"services"`
}

func (p *parser) parseCliff(line []byte) error {
	var c cliffJSON
	if err := json.Unmarshal(line, &c); err != nil {
		return lineErr(p.line, jsonField(err), "%v", err)
	}
	if c.Offset == nil {
		return lineErr(p.line, "offset_seconds", "missing")
	}
	if *c.Offset < 0 || *c.Offset > p.run.Horizon {
		return lineErr(p.line, "offset_seconds", "%d is outside the run (0 to %d)", *c.Offset, p.run.Horizon)
	}
	if c.Root == "" {
		return lineErr(p.line, "root", "missing")
	}
	p.sawCliff = true
	p.run.Cliffs = append(p.run.Cliffs, Cliff{
		T: *c.Offset, Root: c.Root, Roots: c.Roots, Cause: c.Cause, BoundBy: c.BoundBy,
		LifetimeSeconds: c.LifetimeSeconds, TokensRevoked: c.TokensRevoked, LeasesRevoked: c.LeasesRevoked,
		ReplacedRevoked: c.ReplacedRevoked, Services: c.Services,
	})
	return nil
}

// jsonField names the field an encoding/json error is about, if it says.
func jsonField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	return ""
}

// apply records one event (not the header, not a cliff).
func (p *parser) apply(ev *event) error {
	switch ev.kind {
	case "issue":
		return p.issue(ev)
	case "renew", "renew-failed", "renewal-done", "replace", "end":
		i, err := p.entityOf(ev)
		if err != nil {
			return err
		}
		return p.update(ev, i)
	case "service":
		return p.service(ev)
	case "script":
		p.run.Scripts = append(p.run.Scripts, Script{T: ev.t, Note: ev.note})
	case "script-failed":
		// The backend refused (part of) the script logged just before at
		// this instant (a revoke of a batch token): mark that one.
		if n := len(p.run.Scripts); n > 0 && p.run.Scripts[n-1].T == ev.t && ev.note == "" {
			p.run.Scripts[n-1].Failed = true
			break
		}
		p.run.Scripts = append(p.run.Scripts, Script{T: ev.t, Note: cmp.Or(ev.note, "script on "+string(ev.entity)), Failed: true})
	case "issue-failed", "reauth", "backend-up":
		// Nothing a chart draws: failures show as failing replicas,
		// re-authentication as the new token's issue.
	case "":
		return lineErr(p.line, "kind", "missing")
	default:
		return lineErr(p.line, "kind", "unknown event kind %q", ev.kind)
	}
	return nil
}

// maxEntities bounds the entities of one log: positions are int32.
const maxEntities = 1<<31 - 1

func (p *parser) issue(ev *event) error {
	s := &p.run.ents
	if len(ev.entity) == 0 {
		return lineErr(p.line, "entity", "missing")
	}
	if _, dup := s.lookup(ev.entity); dup {
		return lineErr(p.line, "entity", "%q is issued twice", ev.entity)
	}
	kind, ok := nameIndex(kindNames, ev.entityKind)
	if !ok {
		return lineErr(p.line, "entity_kind", "%q is not token, child-token or lease", ev.entityKind)
	}
	if ev.actor == "" {
		return lineErr(p.line, "actor", "missing")
	}
	g, err := p.grant(ev)
	if err != nil {
		return err
	}
	idText := string(ev.entity)
	id, err := parseEntityID(idText)
	if err != nil {
		return lineErr(p.line, "entity", "%v", err)
	}
	if s.n >= maxEntities {
		return lineErr(p.line, "entity", "more than %d tokens and credentials in one log", maxEntities)
	}
	e := entity{
		issued: toInstant(g.T), hardEnd: g.HardEnd, parent: noEntity, root: noEntity,
		actor: s.str(ev.actor), kind: kind, cause: causeAlive,
		kept: p.keep == nil || p.keep(idText, ev.entityKind),
	}
	i := int32(s.n)
	s.index(idText, id, &e, i)
	p.ref(&e.parent, &s.parentName, i, ev.parent)
	if e.kept {
		s.grants[i] = &keptGrants{grants: []Grant{g}}
	}
	s.add(e)
	return nil
}

// ref sets *pos, the parent or root of the entity at i, to the entity id
// names; when none has that ID yet (an edited log) it keeps the text in
// names instead.
func (p *parser) ref(pos *int32, names *map[int32]string, i int32, id []byte) {
	if len(id) == 0 {
		return
	}
	if j, ok := p.run.ents.lookup(id); ok {
		*pos = j
		return
	}
	if *names == nil {
		*names = map[int32]string{}
	}
	(*names)[i] = string(id)
}

func (p *parser) grant(ev *event) (Grant, error) {
	switch {
	case !ev.hasTTL:
		return Grant{}, lineErr(p.line, "ttl", "missing for %s", ev.kind)
	case !ev.hasExpire && ev.ttl != 0:
		return Grant{}, lineErr(p.line, "expire_t", "missing for %s with a ttl (only a token that never expires, ttl 0, has none)", ev.kind)
	case ev.hasExpire && ev.expire < ev.t:
		return Grant{}, lineErr(p.line, "expire_t", "%d is before the event's t %d", ev.expire, ev.t)
	}
	g := Grant{T: ev.t, TTL: ev.ttl, Expire: None, HardEnd: None, BoundBy: ev.boundBy, Capped: ev.ttlCapped}
	if ev.hasExpire {
		g.Expire = ev.expire
	}
	if ev.hasHardEnd {
		g.HardEnd = ev.hardEnd
	}
	return g, nil
}

func (p *parser) entityOf(ev *event) (int32, error) {
	if len(ev.entity) == 0 {
		return noEntity, lineErr(p.line, "entity", "missing for %s", ev.kind)
	}
	i, ok := p.run.ents.lookup(ev.entity)
	if !ok {
		return noEntity, lineErr(p.line, "entity", "%s of %q, which was never issued", ev.kind, ev.entity)
	}
	if e := p.run.ents.ent(i); e.ended != 0 {
		return noEntity, lineErr(p.line, "entity", "%s of %q, which ended at t=%d", ev.kind, ev.entity, e.ended.t())
	}
	return i, nil
}

func (p *parser) update(ev *event, i int32) error {
	s := &p.run.ents
	e := s.ent(i)
	switch ev.kind {
	case "renew":
		g, err := p.grant(ev)
		if err != nil {
			return err
		}
		if e.kept {
			k := s.grants[i]
			k.grants = append(k.grants, g)
		}
		e.renewals++
		e.hardEnd = g.HardEnd
	case "renew-failed":
		if e.kept {
			k := s.grants[i]
			k.failed = append(k.failed, ev.t)
		}
	case "renewal-done":
		if e.done == 0 {
			e.done = toInstant(ev.t)
		}
	case "replace":
		if e.replaced == 0 {
			e.replaced = toInstant(ev.t)
		}
	case "end":
		cause, ok := nameIndex(causeNames, ev.cause)
		if !ok || cause == causeAlive {
			return lineErr(p.line, "cause", "%q is not expired, max-ttl, cascade, revoked or parent-revoked", ev.cause)
		}
		e.ended, e.cause, e.boundBy = toInstant(ev.t), cause, s.str(ev.boundBy)
		p.ref(&e.root, &s.rootName, i, ev.root)
		if ev.hasHardEnd {
			e.hardEnd = ev.hardEnd
		}
	}
	return nil
}

func (p *parser) service(ev *event) error {
	i, ok := p.services[ev.actor]
	if !ok {
		return lineErr(p.line, "actor", "service %q is not in the header's services", ev.actor)
	}
	s := &p.run.Services[i]
	switch {
	case !ev.hasFailing:
		return lineErr(p.line, "failing", "missing for service")
	case ev.failing < 0 || ev.failing > int64(s.Replicas):
		return lineErr(p.line, "failing", "%d is outside 0 to %d replicas of %s", ev.failing, s.Replicas, s.Name)
	}
	step := FailingStep{T: ev.t, Failing: int(ev.failing)}
	if n := len(s.Steps); n > 0 && s.Steps[n-1].T == ev.t {
		s.Steps[n-1] = step // one step per instant: the last word at it counts
	} else {
		s.Steps = append(s.Steps, step)
	}
	return nil
}

// finish resolves the parents named before they were issued (an edited
// log; a cascade root is only ever shown as text) and
// drops steps that repeat the previous value.
func (p *parser) finish() {
	s := &p.run.ents
	for i, id := range s.parentName {
		if j, ok := s.lookup([]byte(id)); ok {
			s.ent(i).parent = j
			delete(s.parentName, i)
		}
	}
	for i := range p.run.Services {
		s := &p.run.Services[i]
		out := s.Steps[:0]
		for _, st := range s.Steps {
			if n := len(out); n > 0 && out[n-1].Failing == st.Failing {
				continue
			}
			out = append(out, st)
		}
		s.Steps = out
	}
}

// entityID is an entity ID taken apart: ACTOR[R].SUB#G.
type entityID struct {
	actor      string
	replica    int    // 0 if none
	sub        string // "", "token" or "credential"
	generation int
}

func parseEntityID(id string) (entityID, error) {
	var out entityID
	hash := strings.LastIndexByte(id, '#')
	if hash <= 0 {
		return out, fmt.Errorf("%q is not ACTOR#G, ACTOR[R]#G, ACTOR[R].token#G or ACTOR[R].credential#G", id)
	}
	gen, ok := atoiPositive(id[hash+1:])
	if !ok {
		return out, fmt.Errorf("%q: generation after # is not a positive integer", id)
	}
	out.generation = gen
	rest := id[:hash]
	if dot := strings.LastIndexByte(rest, '.'); dot > 0 && strings.HasSuffix(rest[:dot], "]") {
		out.sub = rest[dot+1:]
		rest = rest[:dot]
		if out.sub == "cred" { // the name before leasesim used one scheme (entityid)
			out.sub = "credential"
		}
		if out.sub != "token" && out.sub != "credential" {
			return out, fmt.Errorf("%q: %q after the replica is not token or credential", id, out.sub)
		}
	}
	if strings.HasSuffix(rest, "]") {
		open := strings.LastIndexByte(rest, '[')
		if open <= 0 {
			return out, fmt.Errorf("%q: unbalanced replica brackets", id)
		}
		r, ok := atoiPositive(rest[open+1 : len(rest)-1])
		if !ok {
			return out, fmt.Errorf("%q: replica in brackets is not a positive integer", id)
		}
		out.replica = r
		rest = rest[:open]
	}
	out.actor = rest
	return out, nil
}

func atoiPositive[T string | []byte](s T) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n > 0
}
