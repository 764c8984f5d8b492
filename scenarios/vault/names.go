package vault

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// wrapperKey is the top-level key a user may add to a file to name what a
// tune or role response does not: {"leasesim": {"mount": "auth/approle",
// "role": "broker"}, …the response…}.
const wrapperKey = "leasesim"

// names is what a file says about the mount and role of its content, from
// the wrapper or else from the file name convention.
type names struct {
	mount, role string
	wrapper     bool // from the wrapper (explicit), not the file name
}

var (
	mountPathRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	roleNameRE  = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
)

// readWrapper removes and checks the "leasesim" key of the top-level object.
func readWrapper(file string, top object, errs *Errors) (names, bool) {
	raw, ok := top[wrapperKey]
	if !ok {
		return names{}, false
	}
	delete(top, wrapperKey)
	w, isObj := raw.(object)
	if !isObj {
		*errs = append(*errs, &Error{file, wrapperKey, fmt.Sprintf(`want an object such as {"mount": "auth/approle", "role": "broker"}, got %s`, jsonType(raw))})
		return names{}, false
	}
	r := &reader{file: file, prefix: wrapperKey, obj: w, errs: errs}
	for k := range w {
		if k != "mount" && k != "role" {
			r.fail(k, "unknown key %q; the %s wrapper takes mount and role", k, wrapperKey)
		}
	}
	n := names{mount: r.str("mount", false, false), role: r.str("role", false, false), wrapper: true}
	if n.mount != "" && !mountPathRE.MatchString(n.mount) {
		r.fail("mount", "invalid mount path %q; write it without leading or trailing '/', e.g. auth/approle or database", n.mount)
		n.mount = ""
	}
	if n.role != "" && !roleNameRE.MatchString(n.role) {
		r.fail("role", "invalid role name %q", n.role)
		n.role = ""
	}
	return n, true
}

// The file name convention (base name without .json; '+' stands for '/'
// in a nested mount path such as auth/kubernetes/prod):
//
//	auth-<m>-tune       tune of auth mount auth/<m>
//	mount-<m>-tune      tune of secrets mount <m>
//	<m>-tune            tune of secrets mount <m>
//	<m>-role-<r>        role <r> on auth/<m> (auth role) or on <m> (secrets role)
//	auth-<m>-role-<r>   role <r> on auth/<m>
//	token-role-<r>      token role <r>
func baseName(file string) string {
	return strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
}

func unplus(s string) string { return strings.ReplaceAll(s, "+", "/") }

// tuneMountFromName returns the mount a tune file's name gives, or "".
func tuneMountFromName(file string) string {
	b := baseName(file)
	m, ok := strings.CutSuffix(b, "-tune")
	if !ok {
		return ""
	}
	var path string
	switch {
	case strings.HasPrefix(m, "auth-"):
		path = "auth/" + unplus(strings.TrimPrefix(m, "auth-"))
	case strings.HasPrefix(m, "mount-"):
		path = unplus(strings.TrimPrefix(m, "mount-"))
	default:
		path = unplus(m)
	}
	if !mountPathRE.MatchString(path) {
		return ""
	}
	return path
}

// roleFromName returns the mount part (as written, before "-role-") and the
// role name a role file's name gives.
func roleFromName(file string) (mount, role string) {
	b := baseName(file)
	m, r, ok := strings.Cut(b, "-role-")
	if !ok || m == "" || !roleNameRE.MatchString(r) {
		return "", ""
	}
	m = unplus(m)
	if !mountPathRE.MatchString(m) {
		return "", ""
	}
	return m, r
}

// authRoleNames resolves an auth role's mount and name.
func authRoleNames(file string, n names, errs *Errors) (mount, role string) {
	if n.wrapper && n.mount != "" && n.role != "" {
		if !strings.HasPrefix(n.mount, "auth/") || n.mount == "auth/token" {
			*errs = append(*errs, &Error{file, wrapperKey + ".mount", fmt.Sprintf("%q is not an auth method's mount, but this is an auth role (it has tokenutil fields such as token_ttl); write e.g. auth/approle", n.mount)})
			return "", ""
		}
		return n.mount, n.role
	}
	m, r := roleFromName(file)
	if m != "" {
		m = strings.TrimPrefix(m, "auth/")
		m = strings.TrimPrefix(m, "auth-")
		if m == "token" {
			*errs = append(*errs, &Error{file, "", "the file name says a token role (token-role-<name>), but the content is an auth method's role (it has tokenutil fields such as token_ttl); name it <method>-role-<name>.json, e.g. approle-role-broker.json"})
			return "", ""
		}
		return "auth/" + m, r
	}
	*errs = append(*errs, &Error{file, "", `cannot tell which role this is: a role read returns neither the role's name nor its mount; ` +
		`name the file <mount>-role-<role>.json (e.g. approle-role-broker.json for auth/approle/role/broker, '+' for '/' in a nested mount) ` +
		`or add "leasesim": {"mount": "auth/approle", "role": "broker"} to it`})
	return "", ""
}

// secretsRoleNames resolves a secrets role's mount and name.
func secretsRoleNames(file string, n names, errs *Errors) (mount, role string) {
	if n.wrapper && n.mount != "" && n.role != "" {
		if strings.HasPrefix(n.mount, "auth/") {
			*errs = append(*errs, &Error{file, wrapperKey + ".mount", fmt.Sprintf("%q is an auth mount, but this is a secrets role (default_ttl, max_ttl); write the secrets mount, e.g. database", n.mount)})
			return "", ""
		}
		return n.mount, n.role
	}
	m, r := roleFromName(file)
	if m != "" {
		if strings.HasPrefix(m, "auth-") || strings.HasPrefix(m, "auth/") || m == "token" {
			*errs = append(*errs, &Error{file, "", fmt.Sprintf("the file name puts this role on an auth mount (%s), but the content is a secrets role (default_ttl, max_ttl); name it <mount>-role-<role>.json after its secrets mount, e.g. database-role-app-db.json", m)})
			return "", ""
		}
		return m, r
	}
	*errs = append(*errs, &Error{file, "", `cannot tell which role this is: a role read returns neither the role's name nor its mount; ` +
		`name the file <mount>-role-<role>.json (e.g. database-role-app-db.json for database/roles/app-db, '+' for '/' in a nested mount) ` +
		`or add "leasesim": {"mount": "database", "role": "app-db"} to it`})
	return "", ""
}

// tuneMount resolves a tune's mount path.
func tuneMount(file string, n names, errs *Errors) string {
	if n.wrapper && n.mount != "" {
		return n.mount
	}
	if m := tuneMountFromName(file); m != "" {
		return m
	}
	*errs = append(*errs, &Error{file, "", `cannot tell which mount this tune is for: a tune response does not name its mount; ` +
		`name the file auth-<mount>-tune.json for an auth mount (e.g. auth-approle-tune.json for sys/auth/approle/tune) ` +
		`or mount-<mount>-tune.json for a secrets mount (e.g. mount-database-tune.json), '+' for '/' in a nested path, ` +
		`or add "leasesim": {"mount": "auth/approle"} to it`})
	return ""
}
