package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/leasesim/leasesim/model"
)

// parser walks the yaml.Node tree of one file and collects every problem.
type parser struct {
	file  string
	probs []Problem
}

// errAt records a problem at node n (nil: unknown position).
func (p *parser) errAt(n *yaml.Node, field, format string, args ...any) {
	pr := Problem{File: p.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
	}
	p.probs = append(p.probs, pr)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// usable reports whether n can be read: an alias cannot (aliases are
// reported once, by anchors, when the file is read).
func (p *parser) usable(n *yaml.Node, path string) bool {
	return n.Kind != yaml.AliasNode
}

// anchors reports every anchor and alias in the tree. They are refused:
// an alias lets a small file expand into a huge one, and both hide where a
// value comes from. The walk never follows an alias, so it is linear in
// the size of the file.
func (p *parser) anchors(root *yaml.Node) {
	type item struct {
		n    *yaml.Node
		path string
	}
	stack := []item{{root, ""}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		switch {
		case n.Kind == yaml.AliasNode:
			p.errAt(n, it.path, "YAML aliases (*%s) are not supported; write the value out in full", n.Value)
		case n.Anchor != "":
			p.errAt(n, it.path, "YAML anchors (&%s) are not supported; write each value out in full", n.Anchor)
		}
		switch {
		case len(it.path) > 200: // deep nesting: keep the paths short
			for _, c := range n.Content {
				stack = append(stack, item{c, it.path})
			}
		case n.Kind == yaml.MappingNode:
			for i := len(n.Content) - 1; i >= 0; i-- {
				path := it.path
				if i%2 == 1 {
					path = join(path, n.Content[i-1].Value)
				}
				stack = append(stack, item{n.Content[i], path})
			}
		default:
			for i := len(n.Content) - 1; i >= 0; i-- {
				stack = append(stack, item{n.Content[i], index(it.path, i)})
			}
		}
	}
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.AliasNode:
		return "an alias"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return "the boolean " + v
	case "!!int":
		return "the integer " + v
	case "!!float":
		return "the number " + v
	case "!!timestamp":
		return "the timestamp " + v
	case "!!str":
		return strconv.Quote(v)
	}
	return fmt.Sprintf("a value tagged %s", n.ShortTag())
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// entry is one key/value pair of a mapping.
type entry struct {
	name     string
	key, val *yaml.Node
	path     string
}

// fields is a decoded mapping: the accepted entries by key, in file order.
type fields struct {
	byKey map[string]entry
	order []entry
}

func (f fields) get(k string) (entry, bool) {
	e, ok := f.byKey[k]
	return e, ok
}

func (f fields) has(k string) bool {
	_, ok := f.byKey[k]
	return ok
}

// optional points *dst at read's value of key, when key is present and
// read accepts it (read reports what it does not accept): the optional
// rules of an expect block are pointers, nil when absent.
func optional[T any](f fields, key string, read func(*yaml.Node, string) (T, bool), dst **T) {
	if v, ok := f.get(key); ok {
		if x, ok := read(v.val, v.path); ok {
			*dst = &x
		}
	}
}

// mapSpec says what a mapping may contain.
type mapSpec struct {
	what      string   // "a role", used in "expected a mapping (what)"
	allowNull bool     // null / empty value is an empty mapping
	keys      []string // the valid keys, in documentation order
	anyKey    bool     // keys are names (mounts, roles, actors), not fields
	// unknown, when set, explains a key that is not in keys; returning ""
	// falls back to the generic message.
	unknown func(key string) string
}

// mapping reads n as a mapping: it reports a non-mapping, non-string and
// duplicate keys and unknown keys (naming the valid ones), and returns the
// accepted entries. ok is false when n is not a mapping at all.
func (p *parser) mapping(n *yaml.Node, path string, spec mapSpec) (fields, bool) {
	f := fields{byKey: map[string]entry{}}
	if !p.usable(n, path) {
		return f, false
	}
	if spec.allowNull && isNull(n) {
		return f, true
	}
	if n.Kind != yaml.MappingNode {
		p.errAt(n, path, "expected a mapping (%s), got %s", spec.what, describe(n))
		return f, false
	}
	firstLine := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errAt(k, path, "keys must be plain strings, got %s", describe(k))
			continue
		}
		p.usable(k, path)
		name := k.Value
		kpath := join(path, name)
		if first, dup := firstLine[name]; dup {
			p.errAt(k, kpath, "duplicate key '%s' (first set at line %d); set it once", name, first.Line)
			continue
		}
		firstLine[name] = k
		if !spec.anyKey && !contains(spec.keys, name) {
			msg := ""
			if spec.unknown != nil {
				msg = spec.unknown(name)
			}
			if msg == "" {
				msg = fmt.Sprintf("unknown key '%s'; valid keys here: %s%s", name, quoteList(spec.keys), didYouMean(name, spec.keys))
			}
			p.errAt(k, kpath, "%s", msg)
			continue
		}
		e := entry{name: name, key: k, val: v, path: kpath}
		f.byKey[name] = e
		f.order = append(f.order, e)
	}
	return f, true
}

// rawKey finds key k in mapping n without reporting anything.
func rawKey(n *yaml.Node, k string) (key, val *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == k {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar checks that n is a usable scalar, reporting "expected <want>".
func (p *parser) scalar(n *yaml.Node, path, want string) bool {
	if !p.usable(n, path) {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		p.errAt(n, path, "expected %s, got %s", want, describe(n))
		return false
	}
	return true
}

// str reads a string. Other scalars (numbers, booleans, timestamps) are
// errors: quote them.
func (p *parser) str(n *yaml.Node, path, want string) (string, bool) {
	if !p.scalar(n, path, want) {
		return "", false
	}
	if n.ShortTag() != "!!str" {
		p.errAt(n, path, "expected %s, got %s (quote it if it is meant as text)", want, describe(n))
		return "", false
	}
	return n.Value, true
}

// text reads a string shown to people (a description, a label): valid
// UTF-8 without control characters other than tab and newline, which would
// break the terminal, the JSON consumers or the charts' SVG (XML).
func (p *parser) text(n *yaml.Node, path, want string) (string, bool) {
	s, ok := p.str(n, path, want)
	if !ok {
		return "", false
	}
	if !utf8.ValidString(s) {
		p.errAt(n, path, "%s is not valid UTF-8; want %s", describe(n), want)
		return "", false
	}
	for i, r := range s {
		if (unicode.IsControl(r) && r != '\t' && r != '\n') || r == '\uFFFE' || r == '\uFFFF' {
			p.errAt(n, path, "control character %U at byte %d; want %s without control characters", r, i, want)
			return "", false
		}
	}
	return s, true
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	if !p.scalar(n, path, "true or false") {
		return false, false
	}
	if n.ShortTag() != "!!bool" {
		p.errAt(n, path, "expected true or false, got %s", describe(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.errAt(n, path, "expected true or false, got %s", describe(n))
		return false, false
	}
	return b, true
}

// integer reads an integer in [lo, hi].
func (p *parser) integer(n *yaml.Node, path string, lo, hi int64) (int64, bool) {
	want := fmt.Sprintf("an integer from %d to %d", lo, hi)
	if !p.scalar(n, path, want) {
		return 0, false
	}
	if n.ShortTag() != "!!int" {
		p.errAt(n, path, "expected %s, got %s", want, describe(n))
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil || v < lo || v > hi {
		p.errAt(n, path, "%s is out of range; want %s", n.Value, want)
		return 0, false
	}
	return v, true
}

// number reads a finite number (integer or decimal).
func (p *parser) number(n *yaml.Node, path, want string) (float64, bool) {
	if !p.scalar(n, path, want) {
		return 0, false
	}
	if t := n.ShortTag(); t != "!!int" && t != "!!float" {
		p.errAt(n, path, "expected %s, got %s", want, describe(n))
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errAt(n, path, "expected %s, got %s", want, describe(n))
		return 0, false
	}
	return v, true
}

// fraction reads a number strictly between 0 and 1 (or, with zeroOK,
// from 0 inclusive).
func (p *parser) fraction(n *yaml.Node, path string, zeroOK bool) (float64, bool) {
	want := "a fraction strictly between 0 and 1, e.g. 0.67"
	if zeroOK {
		want = "a fraction from 0 up to (not including) 1, e.g. 0.1"
	}
	v, ok := p.number(n, path, want)
	if !ok {
		return 0, false
	}
	if v >= 1 || v < 0 || (v == 0 && !zeroOK) {
		p.errAt(n, path, "%s is out of range; want %s", n.Value, want)
		return 0, false
	}
	return v, true
}

// maxDuration bounds every duration in every form, as model.ParseDuration
// does, so that instant arithmetic cannot overflow.
const maxDuration = model.MaxDuration

const durationForms = "90s, 1h30m, 768h or 32d (a bare integer is seconds)"

// duration reads a duration: a string in model.ParseDuration's forms or a
// YAML integer (seconds).
func (p *parser) duration(n *yaml.Node, path string) (model.Duration, bool) {
	want := "a duration such as " + durationForms
	if !p.scalar(n, path, want) {
		return 0, false
	}
	var d model.Duration
	switch n.ShortTag() {
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			p.errAt(n, path, "%s is too large; want %s", n.Value, want)
			return 0, false
		}
		if v < 0 {
			p.errAt(n, path, "negative duration %s; lifetimes must be zero or positive", n.Value)
			return 0, false
		}
		d = model.Duration(v)
	case "!!str":
		v, err := model.ParseDuration(n.Value)
		if err != nil {
			p.errAt(n, path, "%s", err.Error())
			return 0, false
		}
		d = v
	case "!!float":
		p.errAt(n, path, "%s is not a whole number of seconds; want %s", n.Value, want)
		return 0, false
	default:
		p.errAt(n, path, "expected %s, got %s", want, describe(n))
		return 0, false
	}
	if d > maxDuration {
		p.errAt(n, path, "duration %s is too long; at most %s (%dd, about 292 years)", n.Value, maxDuration, maxDuration/model.Day)
		return 0, false
	}
	return d, true
}

// looksLikeTime tells a calendar time ("2024-01-15T…") from a duration.
func looksLikeTime(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 10 || s[4] != '-' {
		return false
	}
	for _, c := range s[:4] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

const timeForms = "an RFC 3339 time with a zone (e.g. 2024-01-15T12:57:00-07:00) or an offset from start (e.g. 768h, 32d)"

// parseRFC3339 parses an RFC 3339 time in whole seconds.
func parseRFC3339(s string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Sprintf("invalid time %q: not RFC 3339 with a zone; want %s", s, timeForms)
	}
	if t.Nanosecond() != 0 {
		return time.Time{}, fmt.Sprintf("time %q has a fraction of a second; times are whole seconds", s)
	}
	return t, ""
}

// clock is what times are read against: the scenario's start and horizon,
// each only when it was itself valid.
type clock struct {
	start     time.Time
	startOK   bool
	horizon   model.Duration
	horizonOK bool
}

// instant reads a time (RFC 3339 or an offset from start) as an Instant
// within [0, horizon].
func (p *parser) instant(n *yaml.Node, path string, c clock) (model.Instant, bool) {
	if !p.scalar(n, path, timeForms) {
		return 0, false
	}
	tag := n.ShortTag()
	if tag != "!!str" && tag != "!!timestamp" && tag != "!!int" {
		p.errAt(n, path, "expected %s, got %s", timeForms, describe(n))
		return 0, false
	}
	if tag == "!!timestamp" || (tag == "!!str" && looksLikeTime(n.Value)) {
		t, msg := parseRFC3339(n.Value)
		if msg != "" {
			p.errAt(n, path, "%s", msg)
			return 0, false
		}
		if !c.startOK {
			return 0, false // start is already reported
		}
		if t.Before(c.start) {
			p.errAt(n, path, "%s is before start (%s); times must lie within [start, start + horizon]",
				n.Value, c.start.Format(time.RFC3339))
			return 0, false
		}
		at := model.Instant(t.Sub(c.start) / time.Second) // Sub saturates, far beyond any horizon
		if c.horizonOK && at > model.Instant(c.horizon) {
			p.errAt(n, path, "%s is after the horizon (start + %s = %s); times must lie within [start, start + horizon]",
				n.Value, c.horizon, c.start.Add(c.horizon.Std()).Format(time.RFC3339))
			return 0, false
		}
		return at, true
	}
	var d model.Duration
	if tag == "!!int" {
		var v int64
		if err := n.Decode(&v); err != nil || v < 0 || model.Duration(v) > maxDuration {
			p.errAt(n, path, "offset %s is out of range; want %s within [0, horizon]", n.Value, timeForms)
			return 0, false
		}
		d = model.Duration(v)
	} else {
		v, err := model.ParseDuration(n.Value)
		if err != nil || v > maxDuration {
			switch {
			case strings.HasPrefix(strings.TrimSpace(n.Value), "-"):
				p.errAt(n, path, "negative offset %q; times must lie within [0, horizon]: want %s", n.Value, timeForms)
			case err != nil && strings.Contains(err.Error(), "fraction"):
				p.errAt(n, path, "offset %q has a fraction of a second; times are whole seconds", n.Value)
			default:
				p.errAt(n, path, "invalid time %q; want %s", n.Value, timeForms)
			}
			return 0, false
		}
		d = v
	}
	if c.horizonOK && d > c.horizon {
		p.errAt(n, path, "offset %s is beyond the horizon (%s); times must lie within [0, horizon]", d, c.horizon)
		return 0, false
	}
	return model.Instant(d), true
}
