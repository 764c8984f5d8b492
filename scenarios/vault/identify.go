package vault

import (
	"fmt"
	"sort"
	"strings"
)

// signature is how a kind is recognised in a data (or auth) object: by
// keys that Vault's handler for that endpoint always writes and no other
// handler read here does. See docs/import.md, "How files are identified".
type signature struct {
	kind  Kind
	keys  string // for messages
	match func(o object) bool
}

func has(o object, keys ...string) bool {
	for _, k := range keys {
		if _, ok := o[k]; ok {
			return true
		}
	}
	return false
}

var signatures = []signature{
	{KindTokenLookup, "creation_time, creation_ttl", func(o object) bool {
		return has(o, "creation_time", "creation_ttl")
	}},
	{KindLeaseLookup, "id + issue_time, without creation_time", func(o object) bool {
		return has(o, "id") && has(o, "issue_time") && !has(o, "creation_time", "creation_ttl", "accessor")
	}},
	{KindMountTune, "default_lease_ttl, max_lease_ttl", func(o object) bool {
		return has(o, "default_lease_ttl", "max_lease_ttl") && !has(o, serverConfigMarkers...)
	}},
	{KindServerConfig, "default_lease_ttl, max_lease_ttl with api_addr, cache_size, storage, listeners, …", func(o object) bool {
		return has(o, "default_lease_ttl", "max_lease_ttl") && has(o, serverConfigMarkers...)
	}},
	{KindMountTable, `"<path>/": {"type": …, "config": {…}}, …`, isMountTable},
	{KindAuthRole, "token_ttl, token_max_ttl, bind_secret_id, bound_service_account_names", func(o object) bool {
		return has(o, "token_ttl", "token_max_ttl", "bind_secret_id", "bound_service_account_names")
	}},
	{KindTokenRole, "allowed_policies, path_suffix", func(o object) bool {
		return has(o, "allowed_policies", "path_suffix", "allowed_policies_glob")
	}},
	{KindSecretsRole, "db_name, creation_statements, default_ttl + max_ttl", func(o object) bool {
		return has(o, "db_name", "creation_statements") || (has(o, "default_ttl") && has(o, "max_ttl"))
	}},
	{KindAuthResponse, "client_token + lease_duration", func(o object) bool {
		return has(o, "client_token") && has(o, "lease_duration")
	}},
}

// serverConfigMarkers are keys of the sanitized server configuration
// (command/server/config.go Sanitized) that no tune response has.
var serverConfigMarkers = []string{"api_addr", "cluster_addr", "cache_size", "disable_cache", "storage", "listeners", "enable_ui", "plugin_directory"}

// isMountTable recognises sys/auth and sys/mounts (and the CLI's `auth list`
// and `secrets list`): every key is a mount path ending in '/', every value
// an object with "type" and "config".
func isMountTable(o object) bool {
	if len(o) == 0 {
		return false
	}
	for k, v := range o {
		e, ok := v.(object)
		if !ok || !strings.HasSuffix(k, "/") || !has(e, "type") || !has(e, "config") {
			return false
		}
	}
	return true
}

// envelopeKeys are the keys of Vault's response envelope (api.Secret) besides
// "data"; any one of them next to "data" marks an enveloped response.
var envelopeKeys = []string{"request_id", "lease_id", "lease_duration", "renewable", "wrap_info", "warnings", "auth", "mount_type"}

// body is the part of a file that holds the typed content.
type body struct {
	kind      Kind
	obj       object // nil for a bare key list
	prefix    string // "data", "auth" or ""
	top       object // the whole envelope, or the bare object
	enveloped bool
	keys      []string // KindKeyList
	warnings  []string
}

// identify finds the body of a decoded file and its kind. It appends an
// error and returns false when the file is not one of the kinds read here.
func identify(file string, v any, errs *Errors) (body, names, bool) {
	if arr, ok := v.([]any); ok {
		// `vault list -format=json` prints only the keys.
		keys := make([]string, 0, len(arr))
		for i, e := range arr {
			s, isStr := e.(string)
			if !isStr {
				*errs = append(*errs, &Error{file, fmt.Sprintf("[%d]", i), fmt.Sprintf("not a Vault response: a top-level array is read as the key list `vault list -format=json` prints, so each element must be a string; got %s", jsonType(e))})
				return body{}, names{}, false
			}
			keys = append(keys, s)
		}
		return body{kind: KindKeyList, keys: keys}, names{}, true
	}
	top, ok := v.(object)
	if !ok {
		*errs = append(*errs, &Error{file, "", fmt.Sprintf("not a Vault response: want a JSON object (the output of `vault read -format=json` or the API response), got %s", jsonType(v))})
		return body{}, names{}, false
	}
	if len(top) == 0 {
		// `vault list -format=json` prints {} for an empty list (command/list.go).
		return body{kind: KindKeyList, keys: []string{}}, names{}, true
	}
	n, _ := readWrapper(file, top, errs)

	b := body{top: top}
	if has(top, "data") && has(top, envelopeKeys...) {
		b.enveloped = true
		r := &reader{file: file, obj: top, errs: errs}
		b.warnings = r.strings("warnings")
		if w, ok := top["wrap_info"]; ok && w != nil {
			*errs = append(*errs, &Error{file, "wrap_info", "this is a response-wrapped token, not the response itself; unwrap it first (vault unwrap -format=json TOKEN)"})
			return body{}, n, false
		}
		if a, ok := top["auth"]; ok && a != nil {
			ao, isObj := a.(object)
			if !isObj {
				*errs = append(*errs, &Error{file, "auth", fmt.Sprintf("want an object or null, got %s", jsonType(a))})
				return body{}, n, false
			}
			b.kind, b.obj, b.prefix = KindAuthResponse, ao, "auth"
			return b, n, true
		}
		if id, ok := top["lease_id"].(string); ok && id != "" {
			b.kind, b.obj = KindSecretResponse, top
			return b, n, true
		}
		d := top["data"]
		if d == nil {
			*errs = append(*errs, &Error{file, "data", "the response carries no data (null), so there is nothing to read; was it the output of a write? Save the output of the read (see docs/import.md)"})
			return body{}, n, false
		}
		dobj, isObj := d.(object)
		if !isObj {
			*errs = append(*errs, &Error{file, "data", fmt.Sprintf("want an object, got %s", jsonType(d))})
			return body{}, n, false
		}
		b.obj, b.prefix = dobj, "data"
		if len(dobj) == 1 && has(dobj, "keys") {
			r := &reader{file: file, prefix: "data", obj: dobj, errs: errs}
			b.kind, b.keys = KindKeyList, r.strings("keys")
			return b, n, true
		}
	} else {
		b.obj = top
	}

	var found []signature
	for _, s := range signatures {
		if s.match(b.obj) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 1:
		b.kind = found[0].kind
		return b, n, true
	case 0:
		field := b.prefix
		*errs = append(*errs, &Error{file, field, fmt.Sprintf("not a Vault response leasesim reads; it reads "+
			"mount tunes (%s), auth roles (%s), token roles (%s), secrets roles (%s), token lookups (%s), lease lookups (%s), "+
			"mount tables (sys/auth, sys/mounts), the server config (sys/config/state/sanitized) and login/token responses; found keys: %s",
			sigKeys(KindMountTune), sigKeys(KindAuthRole), sigKeys(KindTokenRole), sigKeys(KindSecretsRole),
			sigKeys(KindTokenLookup), sigKeys(KindLeaseLookup), keyList(b.obj))})
	default:
		kinds := make([]string, len(found))
		for i, s := range found {
			kinds[i] = fmt.Sprintf("%s %s (%s)", article(s.kind), s.kind, s.keys)
		}
		*errs = append(*errs, &Error{file, b.prefix, fmt.Sprintf("ambiguous: the keys fit %s; a Vault response fits one; was the file edited or were two responses merged?", strings.Join(kinds, " and "))})
	}
	return body{}, n, false
}

func sigKeys(k Kind) string {
	for _, s := range signatures {
		if s.kind == k {
			return s.keys
		}
	}
	return ""
}

func keyList(o object) string {
	if len(o) == 0 {
		return "(none)"
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 12 {
		keys = append(keys[:12], "…")
	}
	return strings.Join(keys, ", ")
}

func article(k Kind) string {
	if strings.ContainsRune("aeiou", rune(k.String()[0])) {
		return "an"
	}
	return "a"
}
