package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leasesim/leasesim/model"
)

// Parse reads and validates one scenario file. file is the name problems
// cite. On any problem it returns a nil *Scenario and a *ValidationError
// listing every problem found, each with its line, column and field.
func Parse(file string, data []byte) (*Scenario, error) {
	p := &parser{file: file}
	root := p.document(data)
	var sc *Scenario
	if root != nil {
		p.anchors(root)
		sc = p.scenario(root)
	}
	if len(p.probs) > 0 {
		sortProblems(p.probs)
		return nil, &ValidationError{Problems: p.probs}
	}
	if sc == nil { // cannot happen: every nil path records a problem
		return nil, &ValidationError{Problems: []Problem{{File: file, Line: 1, Column: 1, Msg: "no scenario found"}}}
	}
	sc.SHA256 = digest(data)
	return sc, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decodeDoc runs the YAML decoder, turning a panic inside it into an error.
func decodeDoc(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

// document decodes data as exactly one YAML document and returns its root.
func (p *parser) document(data []byte) *yaml.Node {
	const needs = "a scenario needs at least name, description, start, horizon and seed"
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := decodeDoc(dec, &doc)
	if errors.Is(err, io.EOF) {
		p.probs = append(p.probs, Problem{File: p.file, Line: 1, Column: 1, Msg: "empty file; " + needs})
		return nil
	}
	if err != nil {
		p.yamlError(err)
		return nil
	}
	var next yaml.Node
	switch err := decodeDoc(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
		return nil
	default:
		p.errAt(&next, "", "a scenario file holds one YAML document; another one starts here (remove the '---' separator or split the file)")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.probs = append(p.probs, Problem{File: p.file, Line: 1, Column: 1, Msg: "empty document; " + needs})
		return nil
	}
	return doc.Content[0]
}

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to
// its scanner). yaml.v3 prints a parser error's line 0-based and a scanner
// error's 1-based, and leaves the line out when the 0-based line is 0.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected <document start>", "did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document",
}

// yamlError records a YAML syntax error. yaml.v3 gives only a line: for a
// parser error, the line where the enclosing construct starts.
func (p *parser) yamlError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if contains(yamlParserProblems, msg) {
		line++
		msg += " (in the block or flow collection starting on this line)"
	}
	if line == 0 {
		line = 1
	}
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Msg: "invalid YAML: " + msg})
}

var (
	nameRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	roleNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	mountSegRE  = regexp.MustCompile(`^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$`)
	topKeys     = []string{"name", "description", "start", "horizon", "seed", "backend", "roles", "actors", "events", "annotations", "expect"}
	reservedMnt = []string{"sys", "identity", "cubbyhole", "auth"}
)

// MaxHorizon is the longest horizon a scenario may have: 100 years of
// 365.25 days.
const MaxHorizon = 36525 * model.Day

// CheckName says what is wrong with a scenario name, or nil when it is
// valid (for names that come from flags, such as import --name).
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid name %q; use lower-case letters, digits and '-', starting with a letter or digit", name)
	}
	return nil
}

// state is what later sections look up in earlier ones.
type state struct {
	sc     *Scenario
	clk    clock
	mounts map[string]int // path → index in sc.Backend.Mounts
	roles  map[string]int // name → index in sc.Roles
	actors map[string]int // name → index in sc.Actors
	lists  map[string]cachedList
	budget int // name comparisons left for "did you mean" suggestions

	revInstant bool          // backend.revocation: instant
	revMounts  []MountRevoke // secrets mounts' revoke blocks
}

func (p *parser) scenario(root *yaml.Node) *Scenario {
	f, ok := p.mapping(root, "", mapSpec{what: "the scenario's top-level keys", keys: topKeys})
	if !ok {
		return nil
	}
	st := &state{
		sc:     &Scenario{File: p.file},
		mounts: map[string]int{},
		roles:  map[string]int{},
		actors: map[string]int{},
		lists:  map[string]cachedList{},
		budget: 1_000_000,
	}
	sc := st.sc
	required := func(k, msg string) (entry, bool) {
		e, ok := f.get(k)
		if !ok {
			p.errAt(root, k, "required: %s", msg)
		}
		return e, ok
	}

	if e, ok := required("name", "the scenario's name, e.g. name: default-max-cliff"); ok {
		if v, ok := p.str(e.val, e.path, "a name"); ok {
			if nameRE.MatchString(v) {
				sc.Name = v
			} else {
				p.errAt(e.val, e.path, "invalid name %q; use lower-case letters, digits and '-', starting with a letter or digit", v)
			}
		}
	}
	if e, ok := required("description", "one line saying what the scenario shows"); ok {
		if v, ok := p.text(e.val, e.path, "a one-line description"); ok {
			if strings.TrimSpace(v) == "" {
				p.errAt(e.val, e.path, "must not be empty; say what the scenario shows")
			}
			sc.Description = v
		}
	}
	if e, ok := required("start", "virtual time zero as an RFC 3339 time with a zone, e.g. start: 2023-12-14T10:54:00-07:00"); ok {
		if t, ok := p.start(e); ok {
			sc.Start, st.clk.start, st.clk.startOK = t, t, true
		}
	}
	if e, ok := required("horizon", "how long to simulate, e.g. horizon: 40d"); ok {
		if d, ok := p.duration(e.val, e.path); ok {
			if d <= 0 || d > MaxHorizon {
				p.errAt(e.val, e.path, "horizon %s is out of range; want more than 0s and at most 100 years (36525d)", e.val.Value)
			} else {
				sc.Horizon, st.clk.horizon, st.clk.horizonOK = d, d, true
			}
		}
	}
	if e, ok := required("seed", "a non-negative integer seeding the random streams, e.g. seed: 1"); ok {
		const want = "a non-negative integer, e.g. seed: 1"
		if p.scalar(e.val, e.path, want) {
			var v uint64
			if e.val.ShortTag() != "!!int" {
				p.errAt(e.val, e.path, "expected %s, got %s", want, describe(e.val))
			} else if strings.HasPrefix(e.val.Value, "-") {
				p.errAt(e.val, e.path, "negative seed %s; want %s", e.val.Value, want)
			} else if err := e.val.Decode(&v); err != nil {
				p.errAt(e.val, e.path, "%s is out of range; want %s (at most %d)", e.val.Value, want, uint64(1<<64-1))
			} else {
				sc.Seed = v
			}
		}
	}

	p.backend(st, f)
	if e, ok := f.get("roles"); ok {
		p.roles(st, e)
	}
	if e, ok := f.get("actors"); ok {
		p.actors(st, e)
	}
	if e, ok := f.get("events"); ok {
		p.events(st, e)
	}
	if e, ok := f.get("annotations"); ok {
		p.annotations(st, e)
	}
	if e, ok := f.get("expect"); ok {
		p.expect(st, e)
	}
	p.finishRevocation(st)
	return sc
}

// start reads the scenario's start time. Its UTC offset becomes a fixed
// zone, the display zone, independent of the machine's local zone.
func (p *parser) start(e entry) (time.Time, bool) {
	const want = "an RFC 3339 time with a zone, e.g. 2023-12-14T10:54:00-07:00"
	if !p.scalar(e.val, e.path, want) {
		return time.Time{}, false
	}
	if tag := e.val.ShortTag(); tag != "!!str" && tag != "!!timestamp" {
		p.errAt(e.val, e.path, "expected %s, got %s", want, describe(e.val))
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(e.val.Value))
	if err != nil {
		p.errAt(e.val, e.path, "invalid start %q; want %s", e.val.Value, want)
		return time.Time{}, false
	}
	if t.Nanosecond() != 0 {
		p.errAt(e.val, e.path, "start %q has a fraction of a second; times are whole seconds", e.val.Value)
		return time.Time{}, false
	}
	v := strings.TrimSpace(e.val.Value)
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		return t.UTC(), true
	}
	_, off := t.Zone()
	return t.In(time.FixedZone("", off)), true
}

// backend reads the server configuration and the mounts.
func (p *parser) backend(st *state, top fields) {
	b := &st.sc.Backend
	b.Lines = map[string]int{}
	var mountsEntry entry
	var haveMounts bool
	var sysLines = map[string]*yaml.Node{}
	var owner *yaml.Node
	if e, ok := top.get("backend"); ok {
		owner = e.key
		f, _ := p.mapping(e.val, e.path, mapSpec{what: "the server configuration", allowNull: true,
			keys: []string{"default_lease_ttl", "max_lease_ttl", "mounts", "revocation"}})
		if v, ok := f.get("revocation"); ok {
			p.revocation(st, v)
		}
		if v, ok := f.get("default_lease_ttl"); ok {
			sysLines[v.name] = v.key
			b.System.DefaultLeaseTTL, _ = p.duration(v.val, v.path)
		}
		if v, ok := f.get("max_lease_ttl"); ok {
			sysLines[v.name] = v.key
			b.System.MaxLeaseTTL, _ = p.duration(v.val, v.path)
		}
		for _, fe := range model.ValidateSystem(b.System) {
			n := owner
			if k, ok := sysLines[fe.Field]; ok {
				n = k
			}
			p.errAt(n, join("backend", fe.Field), "%s", fe.Msg)
		}
		mountsEntry, haveMounts = f.get("mounts")
	}
	if haveMounts {
		parents := map[string]string{} // proper '/'-prefix → first mount below it
		f, _ := p.mapping(mountsEntry.val, mountsEntry.path, mapSpec{what: "mount path → {default_lease_ttl, max_lease_ttl}", allowNull: true, anyKey: true})
		for _, m := range f.order {
			path, ok := p.mountPath(m)
			if !ok {
				continue
			}
			if prev, dup := st.mounts[path]; dup {
				p.errAt(m.key, m.path, "mount %q is declared twice (first at line %d)", path, b.Lines[b.Mounts[prev].Path])
				continue
			}
			if other := overlap(st.mounts, parents, path); other != "" {
				p.errAt(m.key, m.path, "mount %q overlaps mount %q (line %d); Vault refuses nested mount paths", path, other, b.Lines[other])
			}
			for i := range path {
				if path[i] == '/' {
					if _, ok := parents[path[:i]]; !ok {
						parents[path[:i]] = path
					}
				}
			}
			mt := model.Mount{Path: path}
			mf, _ := p.mapping(m.val, m.path, mapSpec{what: "the mount's tuning", allowNull: true,
				keys: []string{"default_lease_ttl", "max_lease_ttl", "revoke"}})
			if v, ok := mf.get("revoke"); ok {
				p.mountRevoke(st, path, v)
			}
			lines := map[string]*yaml.Node{}
			if v, ok := mf.get("default_lease_ttl"); ok {
				lines[v.name] = v.key
				mt.DefaultLeaseTTL, _ = p.duration(v.val, v.path)
			}
			if v, ok := mf.get("max_lease_ttl"); ok {
				lines[v.name] = v.key
				mt.MaxLeaseTTL, _ = p.duration(v.val, v.path)
			}
			for _, fe := range model.ValidateMount(b.System, mt) {
				n := m.key
				if k, ok := lines[fe.Field]; ok {
					n = k
				}
				p.errAt(n, join(m.path, fe.Field), "%s", fe.Msg)
			}
			st.mounts[path] = len(b.Mounts)
			b.Mounts = append(b.Mounts, mt)
			b.Lines[path] = m.key.Line
		}
	}
	if _, ok := st.mounts[model.TokenMountPath]; !ok {
		st.mounts[model.TokenMountPath] = len(b.Mounts)
		b.Mounts = append(b.Mounts, model.Mount{Path: model.TokenMountPath})
	}
}

// overlap returns a declared mount that is a '/'-prefix of path, or that
// path is a '/'-prefix of, or "".
func overlap(declared map[string]int, parents map[string]string, path string) string {
	if below, ok := parents[path]; ok {
		return below
	}
	for i := range path {
		if path[i] == '/' {
			if _, ok := declared[path[:i]]; ok {
				return path[:i]
			}
		}
	}
	return ""
}

// mountPath checks a mount path as written. A path with a leading or
// trailing slash is an error (never silently altered).
func (p *parser) mountPath(m entry) (string, bool) {
	path := m.name
	if t := strings.Trim(path, "/"); t != path && t != "" && validMountPath(t) {
		p.errAt(m.key, m.path, "mount paths are written without leading or trailing '/': write %q", t)
		return t, true // go on with the intended path, so references to it are checked
	}
	if !validMountPath(path) {
		p.errAt(m.key, m.path, "invalid mount path %q; use '/'-separated segments of lower-case letters, digits, '_', '.' and '-', e.g. database or auth/approle", path)
		return "", false
	}
	for _, r := range reservedMnt {
		if path == r || (r != "auth" && strings.HasPrefix(path, r+"/")) {
			msg := fmt.Sprintf("%q is reserved by Vault and cannot be a mount", path)
			if r == "auth" {
				msg = "'auth' alone is not a mount; auth methods are mounted at auth/NAME, e.g. auth/approle"
			}
			p.errAt(m.key, m.path, "%s", msg)
			return "", false
		}
	}
	return path, true
}

func validMountPath(path string) bool {
	if path == "" || len(path) > 256 {
		return false
	}
	for _, seg := range strings.Split(path, "/") {
		if !mountSegRE.MatchString(seg) {
			return false
		}
	}
	return true
}

// cached returns build()'s list, rebuilt only when the section it lists
// (of length n) has grown, so that messages stay cheap in huge files.
func (st *state) cached(key string, n int, build func() []string) []string {
	if c, ok := st.lists[key]; ok && c.n == n {
		return c.names
	}
	names := build()
	st.lists[key] = cachedList{n, names}
	return names
}

type cachedList struct {
	n     int
	names []string
}

// dym is didYouMean over declared names, within a budget of comparisons
// so that a file with thousands of bad references stays fast.
func (st *state) dym(s string, candidates []string) string {
	if st.budget < len(candidates) {
		return ""
	}
	st.budget -= len(candidates)
	return didYouMean(s, candidates)
}

// declaredMounts lists mount paths for messages.
func (st *state) declaredMounts() []string {
	return st.cached("mounts", len(st.sc.Backend.Mounts), func() []string {
		out := make([]string, 0, len(st.sc.Backend.Mounts))
		for _, m := range st.sc.Backend.Mounts {
			out = append(out, m.Path)
		}
		return out
	})
}

// roleNames lists role names, optionally only of one kind, for messages.
func (st *state) roleNames(kind RoleKind) []string {
	return st.cached("roles"+kind.String(), len(st.sc.Roles), func() []string {
		var out []string
		for _, r := range st.sc.Roles {
			if kind == 0 || r.Kind == kind {
				out = append(out, r.Name)
			}
		}
		return out
	})
}

func (st *state) actorNames() []string {
	return st.cached("actors", len(st.sc.Actors), func() []string {
		var out []string
		for _, a := range st.sc.Actors {
			out = append(out, a.Name)
		}
		return out
	})
}

// sourceActors lists the actors that have a token of their own.
func (st *state) sourceActors() []string {
	return st.cached("sources", len(st.sc.Actors), func() []string {
		var out []string
		for _, a := range st.sc.Actors {
			if a.OwnToken() {
				out = append(out, a.Name)
			}
		}
		return out
	})
}
