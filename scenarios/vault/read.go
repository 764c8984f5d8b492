package vault

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// maxFileSize bounds one input file. A token lookup is under 2 KiB; a
// `vault list` of a large fleet's accessors is a few MiB.
const maxFileSize = 64 << 20

// ReadFile identifies and reads one file's content. name is used in errors
// and, for tune and role responses (which do not name their mount or role),
// for the file name convention of docs/import.md. The error, when not nil,
// is an Errors listing every problem found.
func ReadFile(name string, data []byte) (Item, error) {
	var errs Errors
	it := readItem(name, data, &errs)
	if err := errs.err(); err != nil {
		return Item{File: name, Kind: it.Kind, Enveloped: it.Enveloped}, err
	}
	return it, nil
}

// Identify reports what kind of response data holds, without needing the
// file name convention (names are only needed to read tunes and roles).
func Identify(data []byte) (Kind, error) {
	var errs Errors
	v, err := decode(data)
	if err != nil {
		return KindUnknown, errors.New(decodeError("", data, err).Msg)
	}
	b, _, ok := identify("", v, &errs)
	if !ok {
		return KindUnknown, errors.New(errs[len(errs)-1].Msg)
	}
	return b.kind, nil
}

func decodeError(name string, data []byte, err error) *Error {
	se, ok := err.(*syntaxError)
	if !ok {
		return &Error{File: name, Msg: err.Error()}
	}
	if se.Field != "" {
		return &Error{File: name, Field: se.Field, Msg: se.Msg}
	}
	msg := se.Msg
	if pos := position(data, se.Offset); pos != "" {
		msg = strings.Replace(msg, "invalid JSON", "invalid JSON at "+pos, 1)
	}
	return &Error{File: name, Msg: msg + "; want the output of `vault … -format=json` or the API's JSON response"}
}

func readItem(name string, data []byte, errs *Errors) Item {
	it := Item{File: name}
	v, err := decode(data)
	if err != nil {
		*errs = append(*errs, decodeError(name, data, err))
		return it
	}
	b, n, ok := identify(name, v, errs)
	if !ok {
		return it
	}
	it.Kind, it.Enveloped = b.kind, b.enveloped
	switch b.kind {
	case KindMountTune:
		it.Mount = parseTune(name, b, n, errs)
	case KindAuthRole:
		it.AuthRole = parseAuthRole(name, b, n, errs)
	case KindTokenRole:
		it.TokenRole = parseTokenRole(name, b, n, errs)
	case KindSecretsRole:
		it.SecretsRole = parseSecretsRole(name, b, n, errs)
	case KindTokenLookup:
		it.Token = parseTokenLookup(name, b, errs)
	case KindLeaseLookup:
		it.Lease = parseLeaseLookup(name, b, errs)
	case KindAuthResponse:
		it.AuthResponse = parseAuthResponse(name, b, errs)
	case KindSecretResponse:
		it.SecretResponse = parseSecretResponse(name, b, errs)
	case KindKeyList:
		it.Keys = b.keys
	case KindMountTable:
		it.MountTable = parseMountTable(name, b, errs)
	case KindServerConfig:
		it.Server = parseServerConfig(name, b, errs)
	}
	if n.wrapper && (b.kind == KindTokenLookup || b.kind == KindLeaseLookup || b.kind == KindAuthResponse || b.kind == KindSecretResponse || b.kind == KindKeyList ||
		b.kind == KindMountTable || b.kind == KindServerConfig) {
		*errs = append(*errs, &Error{name, wrapperKey, fmt.Sprintf("a %s names what it is about itself; the %s wrapper is only for tune and role responses: remove it", b.kind, wrapperKey)})
	}
	return it
}

// Read reads every path: a directory contributes each *.json file in it
// (not recursing), sorted by name; a file is read whatever its extension.
// It reads everything before failing, and returns every problem found as
// Errors. A file named twice is read once.
func Read(paths ...string) (*Snapshot, error) {
	var files []string
	var errs Errors
	seen := map[string]bool{}
	if len(paths) == 0 {
		return nil, Errors{{Msg: "no files or directories given"}}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Msg: fmt.Sprintf("cannot read: %v", unwrapPathErr(err))})
			continue
		}
		var add []string
		if st.IsDir() {
			matches, err := filepath.Glob(filepath.Join(globEscape(p), "*.json"))
			if err != nil {
				errs = append(errs, &Error{File: p, Msg: err.Error()})
				continue
			}
			sort.Strings(matches)
			unreadable := 0
			for _, m := range matches {
				// Every *.json is read or listed: a symlink loop, a FIFO or
				// an unreadable file skipped without a word would drop a
				// role or token from the forecast unseen. Subdirectories
				// are not read (no recursion).
				if fi, err := os.Stat(m); err == nil && fi.IsDir() {
					continue
				}
				if msg := notReadable(m); msg != "" {
					errs = append(errs, &Error{File: m, Msg: msg})
					unreadable++
					continue
				}
				add = append(add, m)
			}
			if len(add) == 0 && unreadable == 0 {
				errs = append(errs, &Error{File: p, Msg: "directory has no *.json files"})
			}
		} else if msg := notReadable(p); msg != "" {
			errs = append(errs, &Error{File: p, Msg: msg})
		} else {
			add = []string{p}
		}
		for _, f := range add {
			if c := filepath.Clean(f); !seen[c] {
				seen[c] = true
				files = append(files, f)
			}
		}
	}

	var items []Item
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			errs = append(errs, &Error{File: f, Msg: err.Error()})
			continue
		}
		var fileErrs Errors
		it := readItem(f, data, &fileErrs)
		if len(fileErrs) > 0 {
			errs = append(errs, fileErrs...)
			continue
		}
		items = append(items, it)
	}
	s := assemble(items, &errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	s.Files = files
	return s, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", unwrapPathErr(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", unwrapPathErr(err))
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB; a Vault response is far smaller: is this the right file?", maxFileSize>>20)
	}
	return data, nil
}

// notReadable says why path is not a regular file import can read (a
// symlink loop, a FIFO, which would block the read, a device), or ""
// when it is one.
func notReadable(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Sprintf("cannot read: %v", unwrapPathErr(err))
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		return ""
	case m&os.ModeNamedPipe != 0:
		return "is a named pipe (FIFO), not a file: save the JSON to a file first"
	default:
		return fmt.Sprintf("is not a regular file (%v): save the JSON to a file first", m.Type())
	}
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// globEscape escapes the glob metacharacters of a directory name.
func globEscape(p string) string {
	var out []rune
	for _, c := range p {
		switch c {
		case '*', '?', '[', '\\':
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return string(out)
}

// assemble builds the snapshot from items in order, refusing two files
// about the same thing (which one holds would be a guess).
func assemble(items []Item, errs *Errors) *Snapshot {
	s := &Snapshot{}
	firstFile := map[string]string{}
	dup := func(it Item, field, key, what string) bool {
		if prev, ok := firstFile[key]; ok {
			if it.Enveloped && field != "" {
				field = prefixFor(it) + "." + field
			}
			*errs = append(*errs, &Error{it.File, field, fmt.Sprintf("%s was also read from %s; give one file per %s", what, prev, kindNoun(it.Kind))})
			return true
		}
		firstFile[key] = it.File
		return false
	}
	for _, it := range items {
		switch it.Kind {
		case KindMountTune:
			if !dup(it, "", "mount "+it.Mount.Path, "the tune of "+it.Mount.Path) {
				s.Mounts = append(s.Mounts, *it.Mount)
			}
		case KindAuthRole:
			r := it.AuthRole
			if !dup(it, "", "role "+r.Mount+"/"+r.Name, fmt.Sprintf("role %s on %s", r.Name, r.Mount)) {
				s.AuthRoles = append(s.AuthRoles, *r)
			}
		case KindTokenRole:
			r := it.TokenRole
			if !dup(it, "name", "role auth/token/"+r.Name, fmt.Sprintf("token role %s", r.Name)) {
				s.TokenRoles = append(s.TokenRoles, *r)
			}
		case KindSecretsRole:
			r := it.SecretsRole
			if !dup(it, "", "role "+r.Mount+"/"+r.Name, fmt.Sprintf("role %s on %s", r.Name, r.Mount)) {
				s.SecretsRoles = append(s.SecretsRoles, *r)
			}
		case KindTokenLookup:
			t := it.Token
			if t.Accessor != "" && dup(it, "accessor", "token "+t.Accessor, fmt.Sprintf("a lookup of the token with accessor %s", t.Accessor)) {
				continue
			}
			s.Tokens = append(s.Tokens, *t)
			s.Observed = latest(s.Observed, t.Observed, t.IssueTime, t.LastRenewal)
		case KindLeaseLookup:
			l := it.Lease
			if !dup(it, "id", "lease "+l.ID, fmt.Sprintf("a lookup of lease %s", l.ID)) {
				s.Leases = append(s.Leases, *l)
				s.Observed = latest(s.Observed, l.Observed, l.IssueTime, l.LastRenewal)
			}
		case KindAuthResponse:
			s.AuthResponses = append(s.AuthResponses, *it.AuthResponse)
		case KindSecretResponse:
			s.SecretResponses = append(s.SecretResponses, *it.SecretResponse)
		case KindKeyList:
			s.KeyLists = append(s.KeyLists, KeyList{Keys: it.Keys, File: it.File})
		case KindMountTable:
			for _, m := range it.MountTable {
				if !dup(it, "", "table "+m.Path, "the mount table entry of "+m.Path) {
					s.MountConfigs = append(s.MountConfigs, m)
				}
			}
		case KindServerConfig:
			if !dup(it, "", "server config", "the server config") {
				s.Server = it.Server
			}
		}
	}
	return s
}

func prefixFor(it Item) string {
	if it.Kind == KindAuthResponse {
		return "auth"
	}
	return "data"
}

func kindNoun(k Kind) string {
	switch k {
	case KindMountTune:
		return "mount"
	case KindAuthRole, KindTokenRole, KindSecretsRole:
		return "role"
	case KindTokenLookup:
		return "token"
	case KindLeaseLookup:
		return "lease"
	case KindMountTable:
		return "mount"
	case KindServerConfig:
		return "server"
	}
	return "item"
}

// latest returns the latest of cur, obs and the lower bounds (an issue or
// renewal time precedes the lookup), all truncated to the second.
func latest(cur, obs, issue time.Time, renewal *time.Time) time.Time {
	cands := []time.Time{obs, issue.Truncate(time.Second)}
	if renewal != nil {
		cands = append(cands, renewal.Truncate(time.Second))
	}
	for _, c := range cands {
		if c.After(cur) {
			cur = c
		}
	}
	return cur
}
