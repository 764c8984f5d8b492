// Package model is the lifetime rulebook of a Vault-style secrets backend:
// how TTLs are computed, capped, renewed and revoked, as pure functions of
// their inputs. It has no clock, no I/O and no goroutines; time is data
// passed in (Instant, Duration: whole seconds), like ticks into etcd's raft.
//
// Every rule lives in one named function citing its section of the
// reference, shared/spec/semantics.md:
//
//	§1   CalculateTTL, EffectiveMaxTTL, NormalTTL   the one TTL formula
//	§2   ResolveMount, ValidateSystem, ValidateMount, ValidateTune
//	§3.1 CreateToken, MergeRoleLimit, TokenRequest.Validate, TokenRole.Validate
//	§3.2 Hierarchy.AddToken, BoundedByAncestor      no cap by the parent
//	§3.3 Login, AuthRole.Validate
//	§4   RenewToken, RenewableCheck
//	§5.1 IssueLease, Hierarchy.LeaseIndex, SecretsRole.Validate
//	§5.2 RenewLease
//	§6   Hierarchy.RevokeTree, ExpireTree, RevokeOrphan
//
// Provenance is data: every Grant records the Layer that bound its TTL,
// its max and its hard end, and the warnings the backend would return
// (Warnings.Messages renders them in the backend's words).
//
// Rules the reference leaves open are marked "interpreted" where they are
// implemented; docs/semantics.md lists them.
package model
