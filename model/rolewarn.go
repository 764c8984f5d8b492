package model

import "fmt"

// WriteWarnings are the warnings the backend returns when this token role
// is written, mountMax being the token store's max (auth/token, or the
// server's): an explicit max above it (semantics.md §3.1 step 6 — it only
// warns; vault/token_store.go tokenStoreRoleCreateUpdate, in its wording).
func (r TokenRole) WriteWarnings(mountMax Duration) []string {
	if mountMax > 0 && r.TokenExplicitMaxTTL > mountMax {
		return []string{fmt.Sprintf("Given explicit max TTL of %d is greater than system/mount allowed value of %d seconds; until this is fixed attempting to create tokens against this role will result in an error",
			r.TokenExplicitMaxTTL.Seconds(), mountMax.Seconds())}
	}
	return nil
}

// WriteWarnings are the warnings the backend returns when this auth role
// is written, mountMax being its auth mount's max: a token_max_ttl above
// it (semantics.md §3.3; builtin/credential/approle/path_role.go
// pathRoleCreateUpdate, in its wording; Kubernetes words it the same).
func (r AuthRole) WriteWarnings(mountMax Duration) []string {
	if r.TokenMaxTTL > mountMax {
		return []string{"token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated"}
	}
	return nil
}
