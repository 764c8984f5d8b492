package plots

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The event lines of a long run number in the hundreds of thousands, and
// encoding/json spends seconds on them. Event lines are flat objects of
// strings, integers and nulls (and a grant's warnings, an array of
// strings), so this scanner reads them directly into an event, checking
// the JSON grammar as it goes. Values it has no use for (other arrays,
// objects, booleans, fractions) are checked and skipped; the header and
// the cliff lines go through encoding/json.

// event is one event line, as far as the charts need it.
type event struct {
	t                             int64
	kind, entityKind              string
	actor, boundBy                string
	cause, note                   string
	entity, parent                []byte // IDs: looked up, not kept (valid until the next line)
	root                          []byte
	ttl, expire, hardEnd, failing int64
	hasT, hasTTL, hasExpire       bool
	hasHardEnd, hasFailing        bool
	// ttlCapped: the grant carried Vault's capped-TTL warning (the
	// report's first capped renewal is the first renewal with it).
	ttlCapped bool
}

// fieldError is a problem with one field of a line.
type fieldError struct {
	field, problem string
}

func (e *fieldError) Error() string { return e.field + ": " + e.problem }

type scanner struct {
	b      []byte
	i      int
	intern func([]byte) string
}

func (s *scanner) fail(format string, args ...any) error {
	return fmt.Errorf("not a JSON object at byte %d: %s", s.i+1, fmt.Sprintf(format, args...))
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// scanEvent parses one line into ev.
func scanEvent(line []byte, ev *event, intern func([]byte) string) error {
	s := &scanner{b: line, intern: intern}
	s.skipSpace()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.fail("want '{'")
	}
	s.i++
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return s.end()
	}
	for {
		s.skipSpace()
		key, err := s.rawString()
		if err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail("want ':' after key %q", key)
		}
		s.i++
		s.skipSpace()
		if err := s.field(key, ev); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.fail("unterminated object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end()
		default:
			return s.fail("want ',' or '}'")
		}
	}
}

func (s *scanner) end() error {
	s.skipSpace()
	if s.i != len(s.b) {
		return s.fail("text after the object")
	}
	return nil
}

// field reads the value of key into ev, or checks and skips it.
// The key is matched as bytes, and each case names it again: a string of
// it would be allocated for every field of millions of lines.
func (s *scanner) field(key []byte, ev *event) error {
	switch string(key) {
	case "t":
		return s.integer("t", &ev.t, &ev.hasT)
	case "ttl":
		return s.integer("ttl", &ev.ttl, &ev.hasTTL)
	case "expire_t":
		return s.integer("expire_t", &ev.expire, &ev.hasExpire)
	case "hard_end_t":
		return s.integer("hard_end_t", &ev.hardEnd, &ev.hasHardEnd)
	case "failing":
		return s.integer("failing", &ev.failing, &ev.hasFailing)
	case "kind":
		return s.str("kind", &ev.kind)
	case "entity":
		return s.strBytes("entity", &ev.entity)
	case "entity_kind":
		return s.str("entity_kind", &ev.entityKind)
	case "parent":
		return s.strBytes("parent", &ev.parent)
	case "actor":
		return s.str("actor", &ev.actor)
	case "bound_by":
		return s.str("bound_by", &ev.boundBy)
	case "cause":
		return s.str("cause", &ev.cause)
	case "root":
		return s.strBytes("root", &ev.root)
	case "note":
		return s.str("note", &ev.note)
	case "warnings":
		return s.warnings("warnings", ev)
	}
	return s.skipValue(0)
}

// warnings reads a grant's warnings (an array of strings, or null) and
// notes whether one is Vault's capped-TTL warning (semantics.md §1 step 6):
//
//	TTL of "24h" exceeded the effective max_ttl of "10h14m4s"; TTL value is capped accordingly
func (s *scanner) warnings(key string, ev *event) error {
	if s.literal("null") {
		return nil
	}
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return &fieldError{key, "want an array of strings"}
	}
	s.i++
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return &fieldError{key, "want an array of strings"}
		}
		w, err := s.rawString()
		if err != nil {
			return err
		}
		if isTTLCapped(w) {
			ev.ttlCapped = true
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.fail("unterminated [")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail("want ',' or ']'")
		}
	}
}

// isTTLCapped says whether w is Vault's capped-TTL warning, in the wording
// of sdk/framework's CalculateTTL (the period warning, "period of …", is not).
func isTTLCapped(w []byte) bool {
	return bytes.HasPrefix(w, []byte(`TTL of "`)) && bytes.Contains(w, []byte(`" exceeded the effective max_ttl of "`))
}

// rawString reads a string token and returns its contents; a string with
// escapes is decoded by encoding/json (rare: labels and error texts).
func (s *scanner) rawString() ([]byte, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, s.fail("want a string")
	}
	start := s.i
	q := bytes.IndexByte(s.b[start+1:], '"')
	if q < 0 {
		return nil, s.fail("unterminated string")
	}
	body := s.b[start+1 : start+1+q]
	if bytes.IndexByte(body, '\\') < 0 { // the common case: no escapes
		for _, c := range body {
			if c < 0x20 {
				return nil, s.fail("control character in a string")
			}
		}
		s.i = start + 2 + q
		return body, nil
	}
	if out, ok := s.unescape(start); ok {
		return out, nil
	}
	// Otherwise find the closing quote the slow way and let encoding/json
	// decode (or say what is wrong).
	s.i = start + 1
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '\\':
			s.i += 2
			continue
		case c == '"':
			s.i++
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				return nil, s.fail("bad string escape")
			}
			return []byte(out), nil
		}
		s.i++
	}
	return nil, s.fail("unterminated string")
}

// simpleEscapes are the escapes unescape decodes: every capped renewal's
// warning has \" (Vault quotes the TTLs), and encoding/json took a quarter
// of the reading time of a re-read fleet's log on them.
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// unescape decodes the string token at start if it holds only printable
// ASCII and simple escapes, as encoding/json would, and moves past it;
// anything else (\u, other bytes, errors) it leaves to encoding/json.
func (s *scanner) unescape(start int) ([]byte, bool) {
	var out []byte
	for i := start + 1; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			return out, true
		case c == '\\' && i+1 < len(s.b) && simpleEscapes[s.b[i+1]] != 0:
			i++
			out = append(out, simpleEscapes[s.b[i]])
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, false
		default:
			out = append(out, c)
		}
	}
	return nil, false
}

func (s *scanner) str(key string, dst *string) error {
	var b []byte
	if err := s.strBytes(key, &b); err != nil {
		return err
	}
	*dst = s.intern(b)
	return nil
}

// strBytes reads a string (null: empty) as bytes of the line. Entity IDs
// stay bytes: a log names hundreds of thousands, and the reader only looks
// them up.
func (s *scanner) strBytes(key string, dst *[]byte) error {
	if s.literal("null") {
		*dst = nil
		return nil
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return &fieldError{key, "want a string"}
	}
	b, err := s.rawString()
	if err != nil {
		return err
	}
	*dst = b
	return nil
}

func (s *scanner) integer(key string, dst *int64, has *bool) error {
	if s.literal("null") {
		*has = false
		return nil
	}
	start := s.i
	neg := false
	if s.i < len(s.b) && s.b[s.i] == '-' {
		neg = true
		s.i++
	}
	var n int64
	digits := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if digits >= 18 {
			return &fieldError{key, "integer out of range"}
		}
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
		digits++
	}
	if digits == 0 {
		s.i = start
		return &fieldError{key, "want an integer"}
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return &fieldError{key, "want an integer, not a fraction"}
		}
	}
	if neg {
		n = -n
	}
	*dst, *has = n, true
	return nil
}

// literal consumes word if it is next.
func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// skipValue checks and skips any JSON value.
func (s *scanner) skipValue(depth int) error {
	if depth > 32 {
		return s.fail("nested too deeply")
	}
	if s.i >= len(s.b) {
		return s.fail("want a value")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, err := s.rawString()
		return err
	case c == '{' || c == '[':
		return s.skipContainer(c, depth)
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.i
		for s.i < len(s.b) && isNumberByte(s.b[s.i]) {
			s.i++
		}
		if !json.Valid(s.b[start:s.i]) {
			return s.fail("bad number")
		}
		return nil
	case s.literal("null"), s.literal("true"), s.literal("false"):
		return nil
	}
	return s.fail("want a value")
}

func (s *scanner) skipContainer(open byte, depth int) error {
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	s.i++
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == closer {
		s.i++
		return nil
	}
	for {
		s.skipSpace()
		if open == '{' {
			if _, err := s.rawString(); err != nil {
				return err
			}
			s.skipSpace()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return s.fail("want ':'")
			}
			s.i++
			s.skipSpace()
		}
		if err := s.skipValue(depth + 1); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.fail("unterminated %c", open)
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case closer:
			s.i++
			return nil
		default:
			return s.fail("want ',' or '%c'", closer)
		}
	}
}

func isNumberByte(c byte) bool {
	return c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9')
}
