// Package vault reads the JSON that Vault and OpenBao return for mount
// tunes, roles, token lookups and lease lookups into typed values, the
// groundwork of `leasesim import vault`.
//
// Each file is identified by its content, never by its name: a document
// is either the whole response envelope ({"request_id": …, "data": {…}},
// as `vault read -format=json` and the HTTP API print it) or the bare data
// object, and its kind follows from keys the matching Vault handler always
// writes (see identify.go and docs/import.md). Tune and role responses do
// not name their mount or role, so those come from the file name
// convention (auth-approle-tune.json, approle-role-broker.json) or from a
// "leasesim" wrapper key the user adds; nothing is guessed.
//
// Durations are whole seconds (model.Duration). A fraction, a negative, a
// string of bare digits, a value of the wrong JSON type, or a lookup whose
// ttl, expire_time and issue_time disagree is an error naming the file and
// the JSON field ("approle-role-broker.json: data.token_max_ttl: …").
//
// Secrets never leave this package: token IDs (id, client_token) and the
// data of credential responses are not read into any value.
package vault
