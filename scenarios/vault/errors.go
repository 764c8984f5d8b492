package vault

import "strings"

// Error is one problem with one file: the file as named by the caller, the
// JSON field as a dotted path from the top of the file ("data.token_ttl",
// or "token_ttl" in a bare data object; "" for the file as a whole), and
// what is wrong.
type Error struct {
	File  string
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Field + ": " + e.Msg
}

// Errors lists every problem found, in file order and, within a file, in
// the order the fields were read. Its Error method gives one line each.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// asErrors returns nil for an empty list so that callers can return it
// as an error without a typed-nil trap.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
