package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override sets one field of a scenario file before it is parsed: Path
// addresses the field, Value is a YAML value as written on a command line.
//
// Paths are dotted keys into mappings and [i] for list items:
//
//	roles.broker.token_max_ttl
//	backend.mounts.database.max_lease_ttl
//	actors.core-api.replicas
//	events[2].at
//	horizon
//
// A key containing '.', '[', ']' or '=' is written in double quotes:
// backend.mounts."kv.v2".max_lease_ttl. Values are YAML: 24h, 0, true,
// 50/s, '3600' (a string), {every: 12h} (a mapping).
type Override struct {
	Path, Value string
}

// String renders the override as PATH=VALUE.
func (o Override) String() string { return o.Path + "=" + o.Value }

// OverrideError is an override that cannot be applied: its path leads
// nowhere in the file, or its value is not a YAML value.
type OverrideError struct {
	File     string
	Override Override
	Msg      string
}

func (e *OverrideError) Error() string {
	return fmt.Sprintf("%s: override %s: %s", e.File, e.Override, e.Msg)
}

// ParseSet splits a command-line "PATH=V1,V2,…" into the path and its
// values. Commas inside quotes, [] or {} do not split, so a value may be a
// flow collection ({every: 12h}) or a quoted string with a comma. The path
// is checked for syntax only; whether it exists depends on the file.
func ParseSet(arg string) (path string, values []string, err error) {
	const want = "expected PATH=VALUE[,VALUE…], e.g. roles.broker.token_max_ttl=24h,72h,0"
	eq := -1 // the first '=' outside a "quoted" key
	for i, quoted := 0, false; i < len(arg) && eq < 0; i++ {
		switch arg[i] {
		case '"':
			quoted = !quoted
		case '=':
			if !quoted {
				eq = i
			}
		}
	}
	if eq < 0 {
		return "", nil, fmt.Errorf("%s; got %q (no '=')", want, arg)
	}
	path = strings.TrimSpace(arg[:eq])
	if path == "" {
		return "", nil, fmt.Errorf("%s; got %q (no path before '=')", want, arg)
	}
	if _, err := parsePath(path); err != nil {
		return "", nil, err
	}
	rest := arg[eq+1:]
	if strings.TrimSpace(rest) == "" {
		return "", nil, fmt.Errorf("%s; got %q (no value after '='; write '' for an empty string, null for null)", want, arg)
	}
	pieces, err := splitValues(rest)
	if err != nil {
		return "", nil, fmt.Errorf("%s=…: %w", path, err)
	}
	seen := map[string]int{}
	for i, p := range pieces {
		v := strings.TrimSpace(p)
		if v == "" {
			return "", nil, fmt.Errorf("%s: value %d of %q is empty; write '' for an empty string, null for null", path, i+1, rest)
		}
		if j, dup := seen[v]; dup {
			return "", nil, fmt.Errorf("%s: value %q is listed twice (values %d and %d); list each value once", path, v, j+1, i+1)
		}
		seen[v] = i
		values = append(values, v)
	}
	return path, values, nil
}

// splitValues splits s at commas outside quotes, brackets and braces.
func splitValues(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced %q in %q", c, s)
			}
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	switch {
	case quote != 0:
		return nil, fmt.Errorf("unterminated quote %c in %q", quote, s)
	case depth != 0:
		return nil, fmt.Errorf("unclosed '[' or '{' in %q", s)
	}
	return append(out, s[start:]), nil
}

// step is one element of a path: a mapping key or a list index.
type step struct {
	key   string
	index int
	isIdx bool
}

func (s step) String() string {
	if s.isIdx {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	if strings.ContainsAny(s.key, ".[]=\"") {
		return strconv.Quote(s.key)
	}
	return s.key
}

// PathOf renders keys as an override path, quoting keys that need it:
// PathOf("backend", "mounts", "kv.v2", "max_lease_ttl") is
// backend.mounts."kv.v2".max_lease_ttl.
func PathOf(keys ...string) string {
	steps := make([]step, len(keys))
	for i, k := range keys {
		steps[i] = step{key: k}
	}
	return render(steps)
}

// render writes steps back as a path.
func render(steps []step) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 && !s.isIdx {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// parsePath reads a dotted path with [i] indexes and "quoted" keys.
func parsePath(path string) ([]step, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("invalid path %q: %s; write dotted keys and [i] for list items, e.g. roles.broker.token_max_ttl or events[2].at", path, fmt.Sprintf(format, args...))
	}
	var steps []step
	i := 0
	needKey := true
	for i < len(path) {
		c := path[i]
		switch {
		case c == '[':
			if len(steps) == 0 {
				return nil, bad("it starts with an index; the scenario's top level is a mapping")
			}
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, bad("'[' at byte %d is not closed", i+1)
			}
			num := path[i+1 : i+end]
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || strings.HasPrefix(num, "+") {
				return nil, bad("[%s] is not a list index (0, 1, 2, …)", num)
			}
			steps = append(steps, step{index: n, isIdx: true})
			i += end + 1
			needKey = false
		case c == '.':
			if needKey {
				return nil, bad("empty key at byte %d", i+1)
			}
			needKey = true
			i++
			if i == len(path) {
				return nil, bad("it ends with '.'")
			}
		default:
			if !needKey {
				return nil, bad("expected '.' or '[' at byte %d", i+1)
			}
			var key string
			if c == '"' {
				end := strings.IndexByte(path[i+1:], '"')
				if end < 0 {
					return nil, bad("the quote at byte %d is not closed", i+1)
				}
				key = path[i+1 : i+1+end]
				i += end + 2
			} else {
				j := i
				for j < len(path) && path[j] != '.' && path[j] != '[' {
					if path[j] == ']' || path[j] == '"' || path[j] == '=' {
						return nil, bad("unexpected %q at byte %d (quote keys that contain it)", path[j], j+1)
					}
					j++
				}
				key = path[i:j]
				i = j
			}
			if key == "" {
				return nil, bad("empty key")
			}
			steps = append(steps, step{key: key})
			needKey = false
		}
	}
	if len(steps) == 0 {
		return nil, bad("it is empty")
	}
	return steps, nil
}

// ApplyOverrides sets each override in the YAML text of a scenario file and
// returns the edited text, ready for Parse. Overrides apply in order. A key
// absent from an existing mapping (block or flow style) is added; a path
// whose parent does not exist is an *OverrideError naming the deepest part
// that exists and the keys there. Values are not checked here: Parse checks
// the result like any file. Comments are kept; the layout is yaml.v3's
// (LoadWithOverrides parses the edited tree directly, so that its problems
// cite the lines of the original file).
func ApplyOverrides(file string, data []byte, ovs []Override) ([]byte, error) {
	p := &parser{file: file}
	doc := p.documentNode(data)
	if len(p.probs) > 0 {
		sortProblems(p.probs)
		return nil, &ValidationError{Problems: p.probs}
	}
	if err := applyAll(file, doc.Content[0], ovs); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := encodeDoc(enc, doc); err != nil {
		return nil, fmt.Errorf("%s: cannot write the overridden scenario: %w", file, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("%s: cannot write the overridden scenario: %w", file, err)
	}
	return buf.Bytes(), nil
}

func encodeDoc(enc *yaml.Encoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return enc.Encode(doc)
}

// ParseWithOverrides parses a scenario file with overrides applied, with
// every check Parse makes. Problems cite the original file's lines (a value
// set by an override at the line of the value it replaced; an added key at
// its mapping) and, in the file name, the overrides: "default-max-cliff.yaml
// (with roles.broker.token_max_ttl=24h)". Without overrides it is Parse.
func ParseWithOverrides(file string, data []byte, ovs []Override) (*Scenario, error) {
	if len(ovs) == 0 {
		return Parse(file, data)
	}
	label := OverrideLabel(file, ovs)
	p := &parser{file: label}
	doc := p.documentNode(data)
	var sc *Scenario
	if doc != nil {
		root := doc.Content[0]
		if err := applyAll(file, root, ovs); err != nil {
			return nil, err
		}
		p.anchors(root)
		sc = p.scenario(root)
	}
	if len(p.probs) > 0 {
		sortProblems(p.probs)
		return nil, &ValidationError{Problems: p.probs}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := errors.Join(encodeDoc(enc, doc), enc.Close()); err != nil {
		return nil, fmt.Errorf("%s: cannot write the overridden scenario: %w", file, err)
	}
	sc.SHA256 = digest(buf.Bytes()) // the same text ApplyOverrides returns
	return sc, nil
}

// digest is the hex SHA-256 of a scenario's text.
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// OverrideLabel is the file name problems of an overridden scenario cite:
// "FILE (with PATH=VALUE, …)".
func OverrideLabel(file string, ovs []Override) string {
	if len(ovs) == 0 {
		return file
	}
	parts := make([]string, len(ovs))
	for i, o := range ovs {
		parts[i] = o.String()
	}
	return file + " (with " + strings.Join(parts, ", ") + ")"
}

// LoadWithOverrides is Load with overrides applied (see ParseWithOverrides).
func LoadWithOverrides(nameOrPath string, ovs []Override) (*Scenario, error) {
	file, data, err := Read(nameOrPath)
	if err != nil {
		return nil, err
	}
	return ParseWithOverrides(file, data, ovs)
}

// Read returns the YAML text Load would parse for nameOrPath (a path or
// an embedded name, as Load decides) and the file name its problems cite.
func Read(nameOrPath string) (file string, data []byte, err error) {
	if isPath(nameOrPath) {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\`) {
				base := strings.TrimSuffix(strings.TrimSuffix(nameOrPath, ".yaml"), ".yml")
				if _, e := Source(base); e == nil {
					return "", nil, fmt.Errorf("scenarios: %w (the embedded scenario is named %s, without the extension)", err, base)
				}
			}
			return "", nil, fmt.Errorf("scenarios: %w", err)
		}
		return nameOrPath, data, nil
	}
	data, err = Source(nameOrPath)
	if err != nil {
		return "", nil, err
	}
	return nameOrPath + ".yaml", data, nil
}

// documentNode decodes data (one document, as Parse requires) and returns
// the document node, or nil after recording the problem.
func (p *parser) documentNode(data []byte) *yaml.Node {
	root := p.document(data)
	if root == nil {
		return nil
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}, Line: 1, Column: 1}
}

func applyAll(file string, root *yaml.Node, ovs []Override) error {
	for _, o := range ovs {
		if msg := apply(root, o); msg != "" {
			return &OverrideError{File: file, Override: o, Msg: msg}
		}
	}
	return nil
}

// apply sets one override in the tree under root, returning what is wrong
// or "".
func apply(root *yaml.Node, o Override) string {
	steps, err := parsePath(o.Path)
	if err != nil {
		return err.Error()
	}
	val, msg := valueNode(o.Value)
	if msg != "" {
		return msg
	}
	cur := root
	var owner *yaml.Node // the key node of cur, for positions
	for i, st := range steps {
		last := i == len(steps)-1
		here := render(steps[:i]) // the path of cur
		where := here
		if where == "" {
			where = "the scenario's top level"
		}
		if cur.Kind == yaml.AliasNode {
			return fmt.Sprintf("%s is a YAML alias, which scenarios do not support", here)
		}
		if !st.isIdx && isNull(cur) && here != "" { // "key:" with no value is an empty mapping
			cur.Kind, cur.Tag, cur.Value, cur.Style = yaml.MappingNode, "!!map", "", 0
		}
		if st.isIdx {
			if cur.Kind != yaml.SequenceNode {
				return fmt.Sprintf("%s is %s, not a list; it has no item %s", where, describe(cur), st)
			}
			n := len(cur.Content)
			if st.index >= n {
				return fmt.Sprintf("%s has %d item%s; index %d is out of range%s", where, n, plural(n), st.index, itemRange(here, n))
			}
			if last {
				place(val, cur.Content[st.index])
				cur.Content[st.index] = val
				return ""
			}
			owner, cur = cur.Content[st.index], cur.Content[st.index]
			continue
		}
		if cur.Kind == yaml.SequenceNode {
			n := len(cur.Content)
			return fmt.Sprintf("%s is a list of %d item%s, not a mapping: address an item by index%s", where, n, plural(n), itemRange(here, n))
		}
		if cur.Kind != yaml.MappingNode {
			return fmt.Sprintf("%s is %s, not a mapping; it has no key '%s'", where, describe(cur), st.key)
		}
		k, v := rawKey(cur, st.key)
		if last {
			if v != nil {
				place(val, v)
				val.LineComment = v.LineComment
				for j := 1; j < len(cur.Content); j += 2 {
					if cur.Content[j] == v {
						cur.Content[j] = val
					}
				}
				return ""
			}
			at := cur
			if owner != nil && cur.Style&yaml.FlowStyle == 0 {
				at = owner
			}
			key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key}
			place(key, at)
			place(val, at)
			if cur.Style&yaml.FlowStyle != 0 {
				flow(val)
			}
			cur.Content = append(cur.Content, key, val)
			return ""
		}
		if v == nil && implicit(steps[:i+1]) {
			k, v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key}, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			place(k, cur)
			place(v, cur)
			if cur.Style&yaml.FlowStyle != 0 {
				v.Style = yaml.FlowStyle
			}
			cur.Content = append(cur.Content, k, v)
		}
		if v == nil {
			keys := mapKeys(cur)
			return fmt.Sprintf("%s has no key '%s'; keys there: %s%s", where, st.key, quoteList(keys), didYouMean(st.key, keys))
		}
		owner, cur = k, v
	}
	return ""
}

// implicit reports whether steps name a mapping that exists even when the
// file leaves it out: backend, backend.mounts and the token store's mount
// auth/token, which every server has. An override may set a key under
// them (backend.max_lease_ttl, backend.mounts.auth/token.max_lease_ttl);
// any other missing parent is a typo worth reporting.
func implicit(steps []step) bool {
	keys := make([]string, len(steps))
	for i, s := range steps {
		if s.isIdx {
			return false
		}
		keys[i] = s.key
	}
	switch strings.Join(keys, "\x00") {
	case "backend", "backend\x00mounts", "backend\x00mounts\x00auth/token":
		return true
	}
	return false
}

func itemRange(path string, n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" (%s[0] is the only item)", path)
	}
	return fmt.Sprintf(" (%s[0] … %s[%d])", path, path, n-1)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// valueNode parses a value as written: one YAML node.
func valueNode(v string) (*yaml.Node, string) {
	if strings.TrimSpace(v) == "" {
		return nil, "empty value; write '' for an empty string, null for null"
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(v))
	if err := decodeDoc(dec, &doc); err != nil {
		return nil, fmt.Sprintf("value %q is not valid YAML: %s", v, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Sprintf("value %q is not a single YAML value", v)
	}
	var next yaml.Node
	if err := decodeDoc(dec, &next); err == nil {
		return nil, fmt.Sprintf("value %q holds more than one YAML document", v)
	}
	return doc.Content[0], ""
}

// place gives n and everything under it the position of at, so that
// problems with an overridden value point at the line it replaced.
func place(n, at *yaml.Node) {
	n.Line, n.Column = at.Line, at.Column
	for _, c := range n.Content {
		place(c, at)
	}
}

// flow makes collections under n flow style, as a flow mapping requires.
func flow(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style |= yaml.FlowStyle
	}
	for _, c := range n.Content {
		flow(c)
	}
}

func mapKeys(n *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}
