package vault

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

const approleData = `"bind_secret_id": true, "token_explicit_max_ttl": 0, "token_max_ttl": 0, "token_num_uses": 0, "token_period": 0, "token_ttl": 86400, "token_type": "default"`

func TestReadFile_Names(t *testing.T) {
	role := `{"request_id": "x", "lease_id": "", "renewable": false, "lease_duration": 0, "data": {` + approleData + `}, "wrap_info": null, "warnings": null, "auth": null}`
	tune := `{"default_lease_ttl": 3600, "max_lease_ttl": 7200, "description": "", "force_no_cache": false}`
	authTune := `{"default_lease_ttl": 3600, "max_lease_ttl": 7200, "token_type": "default-service"}`
	db := `{"db_name": "pg", "default_ttl": 60, "max_ttl": 120}`
	tests := []struct {
		name, file, data   string
		mount, role, fails string
	}{
		{"approle role", "approle-role-broker.json", role, "auth/approle", "broker", ""},
		{"auth- prefix", "auth-approle-role-broker.json", role, "auth/approle", "broker", ""},
		{"nested mount", "kubernetes+prod-role-app.json", role, "auth/kubernetes/prod", "app", ""},
		{"role name with dashes", "approle-role-my-role-2.json", role, "auth/approle", "my-role-2", ""},
		{"directory ignored", "some/dir/approle-role-broker.json", role, "auth/approle", "broker", ""},
		{"no name", "broker.json", role, "", "", "broker.json: cannot tell which role this is"},
		{"token role name for an auth role", "token-role-x.json", role, "", "", "the file name says a token role"},
		{"wrapper", "x.json", `{"leasesim": {"mount": "auth/k8s/prod", "role": "app"}, "data": {` + approleData + `}, "request_id": "x"}`, "auth/k8s/prod", "app", ""},
		{"wrapper wins over file name", "approle-role-other.json", `{"leasesim": {"mount": "auth/approle", "role": "broker"}, ` + approleData + `}`, "auth/approle", "broker", ""},
		{"wrapper with secrets mount", "x.json", `{"leasesim": {"mount": "database", "role": "app"}, ` + approleData + `}`, "", "", "x.json: leasesim.mount: \"database\" is not an auth method's mount"},
		{"wrapper bad path", "x.json", `{"leasesim": {"mount": "/auth/approle/", "role": "b"}, ` + approleData + `}`, "", "", "x.json: leasesim.mount: invalid mount path"},
		{"wrapper unknown key", "approle-role-b.json", `{"leasesim": {"mount": "auth/approle", "rol": "b"}, ` + approleData + `}`, "", "", "leasesim.rol: unknown key"},
		{"wrapper not an object", "approle-role-b.json", `{"leasesim": "auth/approle", ` + approleData + `}`, "", "", "leasesim: want an object"},
		{"wrapper on a lookup", "t.json", `{"leasesim": {"mount": "auth/token"}, "accessor": "a", "creation_time": 1, "creation_ttl": 0, "expire_time": null, "explicit_max_ttl": 0, "num_uses": 0, "orphan": true, "path": "auth/token/root", "ttl": 0, "type": "service"}`, "", "", "leasesim: a token lookup names what it is about itself"},

		{"auth tune", "auth-approle-tune.json", authTune, "auth/approle", "", ""},
		{"mount tune", "mount-database-tune.json", tune, "database", "", ""},
		{"short mount tune", "database-tune.json", tune, "database", "", ""},
		{"nested tune", "mount-database+prod-tune.json", tune, "database/prod", "", ""},
		{"tune without name", "tune.json", tune, "", "", "tune.json: cannot tell which mount this tune is for"},
		{"tune of an auth mount named as secrets", "mount-approle-tune.json", authTune, "", "", "it is an auth mount's"},
		{"tune via wrapper", "x.json", `{"leasesim": {"mount": "auth/approle"}, "default_lease_ttl": 1, "max_lease_ttl": 2, "token_type": "default-service"}`, "auth/approle", "", ""},

		{"secrets role", "database-role-app-db.json", db, "database", "app-db", ""},
		{"secrets role on auth name", "auth-database-role-x.json", db, "", "", "puts this role on an auth mount"},
		{"secrets role without name", "db.json", db, "", "", "name the file <mount>-role-<role>.json (e.g. database-role-app-db.json"},
		{"secrets role wrapper with auth mount", "x.json", `{"leasesim": {"mount": "auth/db", "role": "r"}, "db_name": "pg", "default_ttl": 60, "max_ttl": 120}`, "", "", "leasesim.mount: \"auth/db\" is an auth mount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, err := ReadFile(tc.file, []byte(tc.data))
			if tc.fails != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.fails)
				assert.True(t, strings.HasPrefix(err.Error(), tc.file+": "), err.Error())
				return
			}
			require.NoError(t, err)
			switch it.Kind {
			case KindAuthRole:
				assert.Equal(t, tc.mount, it.AuthRole.Mount)
				assert.Equal(t, tc.role, it.AuthRole.Name)
			case KindSecretsRole:
				assert.Equal(t, tc.mount, it.SecretsRole.Mount)
				assert.Equal(t, tc.role, it.SecretsRole.Name)
			case KindMountTune:
				assert.Equal(t, tc.mount, it.Mount.Path)
			default:
				t.Fatalf("unexpected kind %v", it.Kind)
			}
		})
	}
}

func TestReadFile_TokenRoleNames(t *testing.T) {
	body := `"orphan": false, "renewable": true, "token_explicit_max_ttl": 0, "explicit_max_ttl": 0, "token_period": 3600, "period": 3600, "token_type": "default-service", "path_suffix": "", "allowed_policies": []`
	tests := []struct{ name, file, data, role, fails string }{
		{"name from content", "anything.json", `{"name": "ops", ` + body + `}`, "ops", ""},
		{"content and file agree", "token-role-ops.json", `{"name": "ops", ` + body + `}`, "ops", ""},
		{"content and file differ", "token-role-dev.json", `{"name": "ops", ` + body + `}`, "", `token-role-dev.json: name: the role's name "ops" differs from the file name's "dev"`},
		{"name from file", "token-role-ops.json", `{` + body + `}`, "ops", ""},
		{"name from wrapper", "x.json", `{"leasesim": {"role": "ops"}, ` + body + `}`, "ops", ""},
		{"wrapper mount not auth/token", "x.json", `{"leasesim": {"mount": "auth/approle", "role": "ops"}, ` + body + `}`, "", "token roles live on auth/token"},
		{"no name anywhere", "x.json", `{` + body + `}`, "", "x.json: name: missing, so the role cannot be named"},
		{"file puts it elsewhere", "approle-role-ops.json", `{"name": "ops", ` + body + `}`, "", "which lives on auth/token"},
		{"legacy only", "token-role-ops.json", `{"orphan": true, "renewable": false, "explicit_max_ttl": 7200, "period": 0, "token_type": "service", "path_suffix": ""}`, "ops", ""},
		{"legacy differs", "token-role-ops.json", `{"name": "ops", "orphan": false, "renewable": true, "token_explicit_max_ttl": 0, "explicit_max_ttl": 0, "token_period": 3600, "period": 60, "token_type": "service", "path_suffix": ""}`, "", "period: legacy 'period' (1m) differs from 'token_period' (1h)"},
		{"batch role must be orphan", "token-role-b.json", `{"name": "b", "orphan": false, "renewable": true, "token_explicit_max_ttl": 0, "token_period": 0, "token_type": "batch", "path_suffix": ""}`, "", "orphan: 'token_type' cannot be 'batch' or 'default_batch' if 'orphan' is false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, err := ReadFile(tc.file, []byte(tc.data))
			if tc.fails != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.fails)
				return
			}
			require.NoError(t, err)
			require.Equal(t, KindTokenRole, it.Kind)
			assert.Equal(t, tc.role, it.TokenRole.Name)
		})
	}
	it, err := ReadFile("token-role-ops.json", []byte(`{"orphan": true, "renewable": false, "explicit_max_ttl": 7200, "period": 0, "token_type": "service", "path_suffix": "", "token_num_uses": 3}`))
	require.NoError(t, err)
	assert.Equal(t, model.TokenRole{Name: "ops", TokenExplicitMaxTTL: 2 * model.Hour, Orphan: true, TokenNumUses: 3}, it.TokenRole.TokenRole)
}

func TestReadFile_Durations(t *testing.T) {
	role := func(v string) string {
		return `{"token_ttl": ` + v + `, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 0, "token_type": "service"}`
	}
	tests := []struct {
		value string
		want  model.Duration
		fails string
	}{
		{`86400`, model.Day, ""},
		{`86400.0`, model.Day, ""}, // the database engine encodes float64 seconds
		{`8.64e4`, model.Day, ""},
		{`"24h"`, model.Day, ""}, // a role setting, as the API accepts on write
		{`"1d"`, model.Day, ""},
		{`"1h30m"`, 90 * model.Minute, ""},
		{`0`, 0, ""},
		{`86400.5`, 0, "data.token_ttl: 86400.5 has a fraction of a second"},
		{`-1`, 0, "data.token_ttl: -1 is negative"},
		{`"24"`, 0, `data.token_ttl: "24" is a string of digits`},
		{`"1500ms"`, 0, `data.token_ttl: duration "1500ms" has a fraction of a second`},
		{`"-1h"`, 0, `data.token_ttl: negative duration "-1h"`},
		{`"soon"`, 0, `data.token_ttl: invalid duration "soon"`},
		{`true`, 0, "data.token_ttl: want integer seconds, got boolean true"},
		{`null`, 0, "data.token_ttl: want integer seconds, got null"},
		{`[1]`, 0, "data.token_ttl: want integer seconds, got an array"},
		{`864000000000000`, 0, "data.token_ttl: 864000000000000 seconds is more than 106751d (about 292 years): is the value in another unit"},
		{`1e400`, 0, "data.token_ttl: 1e400 is out of range"},
		{`99999999999999999999`, 0, "data.token_ttl: 99999999999999999999 is out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.value, func(t *testing.T) {
			data := `{"request_id": "r", "data": ` + role(tc.value) + `}`
			it, err := ReadFile("approle-role-r.json", []byte(data))
			if tc.fails != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "approle-role-r.json: "+tc.fails)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, it.AuthRole.TokenTTL)
		})
	}
}

const lookupBase = `"accessor": "acc", "creation_time": 1704902400, "creation_ttl": 3600, "display_name": "token", "entity_id": "", "explicit_max_ttl": 0, "id": ""`

func TestReadFile_TokenLookups(t *testing.T) {
	// creation_time 1704902400 = 2024-01-10T16:00:00Z.
	tests := []struct {
		name  string
		data  string
		fails string
		check func(t *testing.T, tok *Token)
	}{
		{"root token never expires", `{"accessor": "r", "creation_time": 1704902400, "creation_ttl": 0, "display_name": "root", "entity_id": "", "expire_time": null, "explicit_max_ttl": 0, "id": "", "issue_time": "2024-01-10T16:00:00.5Z", "meta": null, "num_uses": 0, "orphan": true, "path": "auth/token/root", "policies": ["root"], "renewable": false, "ttl": 0, "type": "service"}`, "",
			func(t *testing.T, tok *Token) {
				assert.Nil(t, tok.ExpireTime)
				assert.True(t, tok.Observed.IsZero())
				assert.Equal(t, model.FromTokenStore, tok.Origin)
			}},
		{"batch token", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10T17:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "orphan": false, "path": "auth/token/create", "renewable": false, "ttl": 1800, "type": "batch"}`, "",
			func(t *testing.T, tok *Token) {
				assert.Equal(t, model.TokenBatch, tok.Type)
				assert.Equal(t, at("2024-01-10T16:30:00Z"), tok.Observed)
			}},
		{"no issue_time", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": null, "orphan": true, "path": "auth/token/create", "ttl": 0, "type": "service"}`, "",
			func(t *testing.T, tok *Token) { assert.Equal(t, at("2024-01-10T16:00:00Z"), tok.IssueTime) }},
		{"kubernetes login", `{` + lookupBase + `, "num_uses": 0, "policies": ["default"], "meta": {"role": "app", "service_account_name": "app"}, "expire_time": "2024-01-10T17:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "orphan": true, "path": "auth/kubernetes/prod/login", "renewable": true, "ttl": 3000, "type": "service"}`, "",
			func(t *testing.T, tok *Token) {
				assert.Equal(t, "auth/kubernetes/prod", tok.Mount)
				assert.Equal(t, "app", tok.Role)
				assert.Equal(t, model.FromLogin, tok.Origin)
			}},
		{"userpass login", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10T17:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "orphan": true, "path": "auth/userpass/login/alice", "renewable": true, "ttl": 3000, "type": "service"}`, "",
			func(t *testing.T, tok *Token) { assert.Equal(t, "auth/userpass", tok.Mount) }},
		{"unknown login path", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10T17:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "orphan": true, "path": "auth/oidc/oidc/callback", "renewable": true, "ttl": 3000, "type": "service"}`, "",
			func(t *testing.T, tok *Token) {
				assert.Equal(t, "", tok.Mount)
				assert.Equal(t, model.FromLogin, tok.Origin)
			}},
		{"last_renewal_time only", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10T18:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "last_renewal_time": 1704906000, "orphan": true, "path": "auth/token/create", "renewable": true, "ttl": 3000, "type": "service"}`, "",
			func(t *testing.T, tok *Token) { assert.Equal(t, ptr("2024-01-10T17:00:00Z"), tok.LastRenewal) }},

		{"role differs from path", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "role": "a", "expire_time": null, "orphan": false, "path": "auth/token/create/b", "ttl": 0, "type": "service"}`, `data.role: "a" differs from the role in path`, nil},
		{"ttl without expire_time", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": null, "orphan": false, "path": "auth/token/create", "ttl": 5, "type": "service"}`, "data.ttl: ttl 5 without an expire_time", nil},
		{"expire before issue", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10T15:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "orphan": false, "path": "auth/token/create", "renewable": true, "ttl": 0, "type": "service"}`, "data.expire_time: 2024-01-10T15:00:00Z is before issue_time", nil},
		{"creation_time far from issue_time", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-11T17:00:00Z", "issue_time": "2024-01-11T16:00:00Z", "orphan": false, "path": "auth/token/create", "renewable": true, "ttl": 60, "type": "service"}`, "data.creation_time: 1704902400 (2024-01-10T16:00:00Z as unix seconds) is 24h0m0s from issue_time", nil},
		{"renewal before issue", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10T17:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "last_renewal": "2024-01-09T16:00:00Z", "orphan": false, "path": "auth/token/create", "renewable": true, "ttl": 60, "type": "service"}`, "data.last_renewal: 2024-01-09T16:00:00Z is before the token's issue_time", nil},
		{"renewal times disagree", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10T17:00:00Z", "issue_time": "2024-01-10T16:00:00Z", "last_renewal": "2024-01-10T16:10:00Z", "last_renewal_time": 1704902401, "orphan": false, "path": "auth/token/create", "renewable": true, "ttl": 60, "type": "service"}`, "data.last_renewal_time: 1704902401 (2024-01-10T16:00:01Z) differs from last_renewal", nil},
		{"bad type", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": null, "orphan": false, "path": "auth/token/create", "ttl": 0, "type": "default"}`, `data.type: invalid token type "default"`, nil},
		{"bad time", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": "2024-01-10 17:00:00", "orphan": false, "path": "auth/token/create", "ttl": 0, "type": "service"}`, `data.expire_time: "2024-01-10 17:00:00" is not an RFC 3339 time`, nil},
		{"time as number", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": 1704906000, "orphan": false, "path": "auth/token/create", "ttl": 0, "type": "service"}`, `data.expire_time: want an RFC 3339 time such as "2024-01-10T16:05:42.123456789Z", got number 1704906000 (unix seconds belong in creation_time`, nil},
		{"renewable as string", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": null, "issue_time": "2024-01-10T16:00:00Z", "orphan": false, "path": "auth/token/create", "renewable": "true", "ttl": 0, "type": "service"}`, `data.renewable: want true or false, got string "true"`, nil},
		{"missing field", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["default"], "expire_time": null, "path": "auth/token/create", "ttl": 0, "type": "service"}`, "data.orphan: missing; Vault's token lookup always returns it", nil},
		{"policies not strings", `{` + lookupBase + `, "meta": null, "num_uses": 0, "policies": ["a", 1], "expire_time": null, "orphan": true, "path": "auth/token/create", "ttl": 0, "type": "service"}`, "data.policies[1]: want a string, got number 1", nil},
		{"num_uses fraction", `{` + lookupBase + `, "meta": null, "policies": ["default"], "num_uses": 1.5, "expire_time": null, "orphan": true, "path": "auth/token/create", "ttl": 0, "type": "service"}`, "data.num_uses: want an integer: 1.5 has a fraction", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := `{"request_id": "r", "lease_id": "", "data": ` + tc.data + `, "warnings": null, "auth": null}`
			it, err := ReadFile("t.json", []byte(data))
			if tc.fails != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "t.json: "+tc.fails)
				return
			}
			require.NoError(t, err)
			require.Equal(t, KindTokenLookup, it.Kind)
			tc.check(t, it.Token)
		})
	}
}

func TestReadFile_LeaseLookups(t *testing.T) {
	base := `"issue_time": "2024-01-10T16:00:00Z", "expire_time": "2024-01-10T17:00:00Z", "last_renewal": null, "renewable": true, "ttl": 1800`
	it, err := ReadFile("l.json", []byte(`{"id": "database/prod/creds/app/abc", `+base+`}`))
	require.NoError(t, err)
	assert.Equal(t, Lease{ID: "database/prod/creds/app/abc", Path: "database/prod/creds/app", Mount: "database/prod", Role: "app",
		IssueTime: at("2024-01-10T16:00:00Z"), ExpireTime: ptr("2024-01-10T17:00:00Z"), TTL: 1800, Renewable: true,
		Observed: at("2024-01-10T16:30:00Z"), File: "l.json"}, *it.Lease)

	it, err = ReadFile("l.json", []byte(`{"id": "aws/sts/deploy/abc", `+base+`}`))
	require.NoError(t, err)
	assert.Equal(t, "aws/sts/deploy", it.Lease.Path)
	assert.Empty(t, it.Lease.Mount, "no creds/<role> shape: the mount is not guessed")

	for data, fails := range map[string]string{
		`{"id": "nolash", ` + base + `}`:                                         `l.json: id: "nolash" has no '/'`,
		`{"id": "database/creds/a/x", "path": "database/creds/b", ` + base + `}`: `l.json: path: "database/creds/b" is not the start of the lease id`,
		`{"id": "", ` + base + `}`:                                               "l.json: id: empty",
		`{"id": "a/b", "issue_time": "2024-01-10T16:00:00Z", "expire_time": null, "renewable": true, "ttl": 0}`:                                                           "l.json: last_renewal: missing",
		`{"id": "a/b", "issue_time": "2024-01-10T16:00:00Z", "expire_time": "2024-01-10T17:00:00Z", "last_renewal": null, "renewable": true, "ttl": -5}`:                  "l.json: ttl: -5 is negative",
		`{"id": "a/b", "issue_time": "2024-01-10T16:00:00Z", "expire_time": "2024-01-10T17:00:00Z", "last_renewal": "2024-01-01T00:00:00Z", "renewable": true, "ttl": 5}`: "l.json: last_renewal: 2024-01-01T00:00:00Z is before the lease's issue_time",
	} {
		_, err := ReadFile("l.json", []byte(data))
		require.Error(t, err, data)
		assert.Contains(t, err.Error(), fails)
	}
}

func TestReadFile_Envelopes(t *testing.T) {
	tests := []struct{ name, data, fails string }{
		{"data null, no auth", `{"request_id": "r", "lease_id": "", "data": null, "wrap_info": null, "warnings": null, "auth": null}`, "w.json: data: the response carries no data"},
		{"data not an object", `{"request_id": "r", "data": [1]}`, "w.json: data: want an object, got an array"},
		{"wrapped", `{"request_id": "", "data": null, "wrap_info": {"token": "x", "ttl": 300}, "auth": null}`, "w.json: wrap_info: this is a response-wrapped token"},
		{"auth not an object", `{"request_id": "r", "data": null, "auth": 5}`, "w.json: auth: want an object or null"},
		{"warnings not strings", `{"request_id": "r", "data": {"keys": ["a"]}, "warnings": "x"}`, "w.json: warnings: want an array of strings"},
		{"top-level scalar", `42`, "w.json: not a Vault response: want a JSON object"},
		{"array of numbers", `[1, 2]`, "w.json: [0]: not a Vault response"},
		{"two values", `{} {}`, "w.json: invalid JSON: more than one value"},
		{"truncated", `{"request_id": "r", "data": {`, "w.json: invalid JSON: unexpected end of file"},
		{"syntax on line 2", "{\n  \"a\": tru\n}", "w.json: invalid JSON at line 2, column 11: invalid character '\\n' in literal true"},
		{"empty data", `{"request_id": "r", "data": {}}`, "w.json: data: not a Vault response leasesim reads"},
		{"too deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), "nested more than 32 levels"},
		{"bad auth response", `{"request_id": "r", "data": null, "auth": {"client_token": "s", "accessor": "a", "lease_duration": "5s", "renewable": true}}`, "w.json: auth.lease_duration: want integer seconds, got string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFile("w.json", []byte(tc.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.fails)
		})
	}

	// A list: the API envelope or the CLI's bare array.
	it, err := ReadFile("l.json", []byte(`{"request_id": "r", "lease_id": "", "data": {"keys": ["a", "b"]}, "warnings": null, "auth": null}`))
	require.NoError(t, err)
	assert.Equal(t, KindKeyList, it.Kind)
	assert.Equal(t, []string{"a", "b"}, it.Keys)
	it, err = ReadFile("l.json", []byte(`[]`))
	require.NoError(t, err)
	assert.Equal(t, KindKeyList, it.Kind)
	assert.Empty(t, it.Keys)
	// `vault list -format=json` prints {} for an empty list.
	it, err = ReadFile("l.json", []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, KindKeyList, it.Kind)
	assert.Empty(t, it.Keys)

	// A bare auth block (`jq .auth`).
	it, err = ReadFile("a.json", []byte(`{"client_token": "s.x", "accessor": "a", "lease_duration": 60, "renewable": true, "token_type": "batch", "orphan": true, "metadata": {"role": "ci"}}`))
	require.NoError(t, err)
	assert.Equal(t, AuthResponse{Accessor: "a", LeaseDuration: 60, Renewable: true, Orphan: true, TokenType: model.TokenBatch, Role: "ci", File: "a.json"}, *it.AuthResponse)

	// Identify reports the same for data alone.
	k, err := Identify([]byte(`not json`))
	assert.Equal(t, KindUnknown, k)
	assert.ErrorContains(t, err, "invalid JSON at line 1, column 2")
	k, err = Identify([]byte(`{"a": 1}`))
	assert.Equal(t, KindUnknown, k)
	assert.ErrorContains(t, err, "found keys: a")
}

func TestReadFile_AuthRoleChecks(t *testing.T) {
	tests := []struct{ name, data, fails string }{
		{"ttl above max", `{"token_ttl": 7200, "token_max_ttl": 3600, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 0, "token_type": "service"}`, "data.token_ttl: 'token_ttl' cannot be greater than 'token_max_ttl' (2h > 1h)"},
		{"batch periodic", `{"token_ttl": 0, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 60, "token_num_uses": 0, "token_type": "batch"}`, "data.token_period: 'token_type' cannot be 'batch'"},
		{"bad token type", `{"token_ttl": 0, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 0, "token_type": "fast"}`, `data.token_type: invalid 'token_type' value "fast"`},
		{"missing field", `{"token_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 0, "token_type": "service"}`, "data.token_max_ttl: missing; a tokenutil role read"},
		{"legacy differs", `{"token_ttl": 60, "ttl": 120, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 0, "token_type": "service"}`, "data.ttl: legacy 'ttl' (2m) differs from 'token_ttl' (1m)"},
		{"legacy num_uses differs", `{"token_ttl": 60, "num_uses": 2, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 3, "token_type": "service"}`, "data.num_uses: legacy 'num_uses' (2) differs from 'token_num_uses' (3)"},
		{"bind_secret_id string", `{"bind_secret_id": "yes", "token_ttl": 60, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 0, "token_type": "service"}`, `data.bind_secret_id: want true or false, got string "yes"`},
		{"negative num_uses", `{"token_ttl": 60, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": -1, "token_type": "service"}`, "data.token_num_uses: -1 is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFile("approle-role-r.json", []byte(`{"request_id": "r", "data": `+tc.data+`}`))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "approle-role-r.json: "+tc.fails)
		})
	}
	// Legacy values equal to the new ones (Kubernetes returns both) are fine.
	it, err := ReadFile("kubernetes-role-r.json", []byte(`{"bound_service_account_names": ["a"], "token_ttl": 60, "ttl": 60, "period": 0, "token_max_ttl": 0, "token_explicit_max_ttl": 0, "token_period": 0, "token_num_uses": 0, "token_type": "batch"}`))
	require.NoError(t, err)
	assert.Equal(t, model.AuthRole{Name: "r", Mount: "auth/kubernetes", TokenTTL: 60, TokenType: model.TokenBatch}, it.AuthRole.AuthRole)
	assert.Equal(t, "kubernetes", it.AuthRole.Method)
}

func TestRead_Errors(t *testing.T) {
	dir := t.TempDir()
	broker, err := os.ReadFile(filepath.Join(jan2024, "token-broker.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.json"), broker, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.json"), broker, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.json"), 0o755))
	_, err = Read(dir)
	require.Error(t, err)
	assert.Equal(t, filepath.Join(dir, "b.json")+": data.accessor: a lookup of the token with accessor uYBP7hHxexiHhNv7KVtxUKTQ was also read from "+
		filepath.Join(dir, "a.json")+"; give one file per token", err.Error())

	tune, err := os.ReadFile(filepath.Join(jan2024, "auth-approle-tune.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "auth-approle-tune.json"), tune, 0o644))
	_, err = Read(filepath.Join(jan2024, "auth-approle-tune.json"), filepath.Join(dir, "auth-approle-tune.json"))
	assert.ErrorContains(t, err, "the tune of auth/approle was also read from")

	empty := t.TempDir()
	_, err = Read(empty)
	assert.EqualError(t, err, empty+": directory has no *.json files")
	_, err = Read(filepath.Join(dir, "missing.json"))
	assert.EqualError(t, err, filepath.Join(dir, "missing.json")+": cannot read: no such file or directory")
	_, err = Read()
	assert.Error(t, err)

	// A file given by name is read whatever its extension.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lookup.out"), broker, 0o644))
	s, err := Read(filepath.Join(dir, "lookup.out"))
	require.NoError(t, err)
	assert.Len(t, s.Tokens, 1)
}

func TestLoginTokenType(t *testing.T) {
	S, B := model.TokenService, model.TokenBatch
	tests := []struct {
		mount string
		roles map[string]model.TokenType
	}{
		{"default-service", map[string]model.TokenType{"": S, "default": S, "service": S, "default-service": S, "batch": B, "default-batch": B}},
		{"", map[string]model.TokenType{"default": S, "batch": B}},
		{"default-batch", map[string]model.TokenType{"": B, "default": B, "batch": B, "default-batch": B, "service": S, "default-service": S}},
		{"service", map[string]model.TokenType{"default": S, "batch": S}},
		{"batch", map[string]model.TokenType{"default": B, "service": B}},
	}
	for _, tc := range tests {
		for role, want := range tc.roles {
			got, err := LoginTokenType(tc.mount, role)
			require.NoError(t, err)
			assert.Equal(t, want, got, "mount %q role %q", tc.mount, role)
		}
	}
	_, err := LoginTokenType("weird", "default")
	assert.Error(t, err)
	_, err = LoginTokenType("default-service", "weird")
	assert.Error(t, err)
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "token lookup", KindTokenLookup.String())
	assert.Equal(t, "unknown", Kind(200).String())
}

func TestReadFile_MountTablesAndServerConfig(t *testing.T) {
	// The CLI envelope (api.Secret): auth and wrap_info are omitted when empty.
	it, err := ReadFile("m.json", []byte(`{"request_id": "r", "lease_id": "", "lease_duration": 0, "renewable": false, "mount_type": "system",
		"data": {"approle/": {"type": "approle", "config": {"default_lease_ttl": 0, "max_lease_ttl": 20, "force_no_cache": false, "token_type": "default-service"}}}, "warnings": null}`))
	require.NoError(t, err)
	assert.True(t, it.Enveloped)
	assert.Equal(t, []MountConfig{{Path: "auth/approle", Type: "approle", MaxLeaseTTL: 20, TokenType: "default-service", File: "m.json"}}, it.MountTable)

	tests := []struct{ name, data, fails string }{
		{"ttl as string", `{"token/": {"type": "token", "config": {"default_lease_ttl": "768h", "max_lease_ttl": 0}}}`, `m.json: token/.config.default_lease_ttl: want integer seconds, got string "768h"`},
		{"config not an object", `{"request_id": "r", "data": {"database/": {"type": "database", "config": null}}}`, "m.json: data.database/.config: want an object, got null"},
		{"missing max", `{"database/": {"type": "database", "config": {"default_lease_ttl": 0}}}`, "m.json: database/.config.max_lease_ttl: missing"},
		{"bad path", `{"a//b/": {"type": "kv", "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}}}`, `m.json: a//b/: invalid mount path "a//b/"`},
		{"server config negative", `{"request_id": "r", "data": {"api_addr": "", "default_lease_ttl": -1, "max_lease_ttl": 0}}`, "m.json: data.default_lease_ttl: -1 is negative"},
		{"server config missing", `{"api_addr": "", "default_lease_ttl": 0}`, "m.json: max_lease_ttl: missing; Vault's sanitized server config always returns it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFile("m.json", []byte(tc.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.fails)
		})
	}

	// A server config is not a tune, whatever the file's name.
	it, err = ReadFile("auth-approle-tune.json", []byte(`{"cluster_name": "c", "storage": {"type": "raft"}, "default_lease_ttl": 3600, "max_lease_ttl": 86400}`))
	require.NoError(t, err)
	assert.Equal(t, KindServerConfig, it.Kind)
	assert.Equal(t, ServerConfig{DefaultLeaseTTL: model.Hour, MaxLeaseTTL: model.Day, File: "auth-approle-tune.json"}, *it.Server)

	// Two server configs, or one mount in two tables, are refused.
	dir := t.TempDir()
	for _, n := range []string{"a.json", "b.json"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(`{"api_addr": "", "default_lease_ttl": 0, "max_lease_ttl": 0}`), 0o644))
	}
	_, err = Read(dir)
	assert.EqualError(t, err, filepath.Join(dir, "b.json")+": the server config was also read from "+filepath.Join(dir, "a.json")+"; give one file per server")
	_, err = Read(filepath.Join(jan2024, "auth-list.json"), filepath.Join(samples, "..", "jan-2024", "auth-list.json"))
	require.NoError(t, err, "the same file named twice is read once")
	dup := t.TempDir()
	data, err := os.ReadFile(filepath.Join(jan2024, "auth-list.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dup, "auth-list.json"), data, 0o644))
	_, err = Read(filepath.Join(jan2024, "auth-list.json"), dup)
	assert.ErrorContains(t, err, "the mount table entry of auth/approle was also read from")
}
