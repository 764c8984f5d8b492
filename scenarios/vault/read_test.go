package vault

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

const (
	fixtures = "../../testdata/vault"
	jan2024  = fixtures + "/jan-2024"
	samples  = fixtures + "/openbao-2.6.2"
	badDir   = fixtures + "/bad"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr(s string) *time.Time {
	t := at(s)
	return &t
}

func readFixture(t *testing.T, path string) Item {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	it, err := ReadFile(filepath.Base(path), data)
	require.NoError(t, err)
	return it
}

// The seed incident's fixtures, each read to its typed values.
func TestReadFile_Jan2024(t *testing.T) {
	tests := []struct {
		file      string
		kind      Kind
		enveloped bool
		check     func(t *testing.T, it Item)
	}{
		{"auth-approle-tune.json", KindMountTune, true, func(t *testing.T, it Item) {
			// Untuned: the tune shows the server's 768h values.
			assert.Equal(t, Mount{Path: "auth/approle", DefaultLeaseTTL: 768 * model.Hour, MaxLeaseTTL: 768 * model.Hour,
				TokenType: "default-service", File: "auth-approle-tune.json"}, *it.Mount)
			assert.True(t, it.Mount.IsAuth())
		}},
		{"auth-token-tune.json", KindMountTune, true, func(t *testing.T, it Item) {
			assert.Equal(t, Mount{Path: "auth/token", DefaultLeaseTTL: model.DefaultSystemTTL, MaxLeaseTTL: model.DefaultSystemTTL,
				TokenType: "default-service", Description: "token based credentials", File: "auth-token-tune.json"}, *it.Mount)
		}},
		{"auth-kubernetes-tune.json", KindMountTune, true, func(t *testing.T, it Item) {
			assert.Equal(t, Mount{Path: "auth/kubernetes", DefaultLeaseTTL: model.Hour, MaxLeaseTTL: 4 * model.Hour,
				TokenType: "default-batch", Description: "CI runners", File: "auth-kubernetes-tune.json"}, *it.Mount)
		}},
		{"mount-database-tune.json", KindMountTune, true, func(t *testing.T, it Item) {
			assert.Equal(t, Mount{Path: "database", DefaultLeaseTTL: model.Hour, MaxLeaseTTL: 24 * model.Hour,
				Description: "orders database", File: "mount-database-tune.json"}, *it.Mount)
			assert.False(t, it.Mount.IsAuth())
		}},
		{"approle-role-broker.json", KindAuthRole, true, func(t *testing.T, it Item) {
			// The trap: token_ttl set, token_max_ttl 0.
			assert.Equal(t, AuthRole{
				AuthRole: model.AuthRole{Name: "broker", Mount: "auth/approle", TokenTTL: 24 * model.Hour, TokenType: model.TokenService},
				Method:   "approle", TokenTypeName: "default", File: "approle-role-broker.json",
			}, *it.AuthRole)
		}},
		{"kubernetes-ci-runner.json", KindAuthRole, true, func(t *testing.T, it Item) {
			// Named by the "leasesim" wrapper, not the file name.
			assert.Equal(t, AuthRole{
				AuthRole: model.AuthRole{Name: "ci-runner", Mount: "auth/kubernetes", TokenTTL: 20 * model.Minute, TokenMaxTTL: 4 * model.Hour},
				Method:   "kubernetes", TokenTypeName: "default", File: "kubernetes-ci-runner.json",
			}, *it.AuthRole)
		}},
		{"token-role-watchdog.json", KindTokenRole, true, func(t *testing.T, it Item) {
			assert.Equal(t, TokenRole{
				TokenRole:     model.TokenRole{Name: "watchdog", TokenPeriod: 24 * model.Hour, Renewable: true},
				TokenTypeName: "default-service", AllowedPolicies: []string{"watchdog"}, File: "token-role-watchdog.json",
			}, *it.TokenRole)
		}},
		{"database-role-app-db.json", KindSecretsRole, false, func(t *testing.T, it Item) {
			assert.Equal(t, SecretsRole{
				SecretsRole: model.SecretsRole{Name: "app-db", Mount: "database", DefaultTTL: model.Hour, MaxTTL: 24 * model.Hour},
				DBName:      "orders-pg", File: "database-role-app-db.json",
			}, *it.SecretsRole)
		}},
		{"token-broker.json", KindTokenLookup, true, func(t *testing.T, it Item) {
			tok := *it.Token
			assert.Equal(t, Token{
				Accessor: "uYBP7hHxexiHhNv7KVtxUKTQ", Path: "auth/approle/login", Mount: "auth/approle", Origin: model.FromLogin,
				Role: "broker", DisplayName: "approle", Policies: []string{"broker", "default"},
				IssueTime:    at("2023-12-14T17:54:00.318266402Z"),
				CreationTime: at("2023-12-14T17:54:00Z"),
				ExpireTime:   ptr("2024-01-11T09:47:31.502846705Z"),
				LastRenewal:  ptr("2024-01-10T09:47:31.503060218Z"),
				CreationTTL:  24 * model.Hour, TTL: 63709,
				Renewable: true, Orphan: true, Type: model.TokenService,
				Observed: at("2024-01-10T16:05:42Z"),
				File:     "token-broker.json",
			}, tok)
			// 10:54 MST on the day of issue; the 768h cliff falls on 2024-01-15 10:54 MST.
			mst := time.FixedZone("MST", -7*3600)
			assert.Equal(t, "2023-12-14T10:54:00-07:00", tok.IssueTime.Truncate(time.Second).In(mst).Format(time.RFC3339))
			assert.Equal(t, "2024-01-15T10:54:00-07:00", tok.IssueTime.Truncate(time.Second).Add(model.DefaultSystemTTL.Std()).In(mst).Format(time.RFC3339))
		}},
		{"token-orphan.json", KindTokenLookup, false, func(t *testing.T, it Item) {
			assert.Equal(t, Token{
				Accessor: "oc7INsw0l9LCp3DqhU710WEM", Path: "auth/token/create-orphan", Mount: "auth/token", Origin: model.FromTokenStore,
				DisplayName: "token-nightly-report", Policies: []string{"default", "reporting"},
				IssueTime:    at("2024-01-09T12:00:05.771203385Z"),
				CreationTime: at("2024-01-09T12:00:05Z"),
				ExpireTime:   ptr("2024-01-11T12:00:05.770981562Z"),
				CreationTTL:  48 * model.Hour, TTL: 71634,
				Renewable: true, Orphan: true,
				Observed: at("2024-01-10T16:06:11Z"),
				File:     "token-orphan.json",
			}, *it.Token)
		}},
		{"token-watchdog.json", KindTokenLookup, true, func(t *testing.T, it Item) {
			assert.Equal(t, Token{
				Accessor: "y6M0HinQ113V5BNeeSeWQBWT", Path: "auth/token/create/watchdog", Mount: "auth/token", Origin: model.FromTokenStore,
				Role: "watchdog", DisplayName: "token", Policies: []string{"default", "watchdog"},
				IssueTime:    at("2023-11-20T08:15:27.090442213Z"),
				CreationTime: at("2023-11-20T08:15:27Z"),
				ExpireTime:   ptr("2024-01-11T03:12:44.91815409Z"),
				LastRenewal:  ptr("2024-01-10T03:12:44.918377406Z"),
				CreationTTL:  24 * model.Hour, TTL: 39973, Period: 24 * model.Hour,
				Renewable: true,
				Observed:  at("2024-01-10T16:06:31Z"),
				File:      "token-watchdog.json",
			}, *it.Token)
		}},
		{"lease-app-db.json", KindLeaseLookup, true, func(t *testing.T, it Item) {
			assert.Equal(t, Lease{
				ID: "database/creds/app-db/Yvb1ZKWm9FKMOI6XFwBzurLf", Path: "database/creds/app-db", Mount: "database", Role: "app-db",
				IssueTime:  at("2024-01-10T15:41:08.204417662Z"),
				ExpireTime: ptr("2024-01-10T16:41:08.204417891Z"),
				TTL:        2046, Renewable: true,
				Observed: at("2024-01-10T16:07:02Z"),
				File:     "lease-app-db.json",
			}, *it.Lease)
		}},
		{"auth-list.json", KindMountTable, false, func(t *testing.T, it Item) {
			// The mount table shows what the tune cannot: auth/approle is untuned (0).
			f := "auth-list.json"
			assert.Equal(t, []MountConfig{
				{Path: "auth/approle", Type: "approle", TokenType: "default-service", File: f},
				{Path: "auth/kubernetes", Type: "kubernetes", DefaultLeaseTTL: model.Hour, MaxLeaseTTL: 4 * model.Hour, TokenType: "default-batch", File: f},
				{Path: "auth/token", Type: "token", TokenType: "default-service", File: f},
			}, it.MountTable)
		}},
		{"secrets-list.json", KindMountTable, true, func(t *testing.T, it Item) {
			f := "secrets-list.json"
			assert.Equal(t, []MountConfig{
				{Path: "cubbyhole", Type: "cubbyhole", File: f},
				{Path: "database", Type: "database", DefaultLeaseTTL: model.Hour, MaxLeaseTTL: 24 * model.Hour, File: f},
				{Path: "identity", Type: "identity", File: f},
				{Path: "sys", Type: "system", File: f},
			}, it.MountTable)
		}},
		{"server-config.json", KindServerConfig, true, func(t *testing.T, it Item) {
			// Neither value set in the server's configuration: 768h each.
			assert.Equal(t, ServerConfig{File: "server-config.json"}, *it.Server)
		}},
		{"accessors.json", KindKeyList, false, func(t *testing.T, it Item) {
			assert.Equal(t, []string{"uYBP7hHxexiHhNv7KVtxUKTQ", "oc7INsw0l9LCp3DqhU710WEM", "y6M0HinQ113V5BNeeSeWQBWT"}, it.Keys)
		}},
	}
	files, err := filepath.Glob(jan2024 + "/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every fixture has a test case")
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			it := readFixture(t, filepath.Join(jan2024, tc.file))
			assert.Equal(t, tc.kind, it.Kind)
			assert.Equal(t, tc.enveloped, it.Enveloped)
			tc.check(t, it)
		})
	}
}

func TestRead_Jan2024Snapshot(t *testing.T) {
	s, err := Read(jan2024)
	require.NoError(t, err)
	assert.Equal(t, at("2024-01-10T16:07:02Z"), s.Observed, "the lease lookup is the latest")
	var mounts []string
	for _, m := range s.Mounts {
		mounts = append(mounts, m.Path)
	}
	// Files in name order.
	assert.Equal(t, []string{"auth/approle", "auth/kubernetes", "auth/token", "database"}, mounts)
	require.Len(t, s.AuthRoles, 2)
	assert.Equal(t, "broker", s.AuthRoles[0].Name)
	assert.Equal(t, "ci-runner", s.AuthRoles[1].Name)
	assert.Len(t, s.TokenRoles, 1)
	assert.Len(t, s.SecretsRoles, 1)
	require.Len(t, s.Tokens, 3)
	assert.Equal(t, []string{"token-broker.json", "token-orphan.json", "token-watchdog.json"},
		[]string{filepath.Base(s.Tokens[0].File), filepath.Base(s.Tokens[1].File), filepath.Base(s.Tokens[2].File)})
	assert.Len(t, s.Leases, 1)
	assert.Len(t, s.KeyLists, 1)
	assert.Empty(t, s.AuthResponses)
	assert.Empty(t, s.SecretResponses)
	assert.Equal(t, filepath.Join(jan2024, "token-broker.json"), s.Tokens[0].File, "File is the path as read")

	// The batch-token mount and its role: the role's "default" becomes batch there.
	k := s.MountByPath("auth/kubernetes")
	require.NotNil(t, k)
	typ, err := LoginTokenType(k.TokenType, s.AuthRoles[1].TokenTypeName)
	require.NoError(t, err)
	assert.Equal(t, model.TokenBatch, typ)
	assert.Nil(t, s.MountByPath("auth/userpass"))

	// Untuned or tuned to 768h? The tune cannot say; the mount table and
	// the server config can.
	assert.Equal(t, s.MountByPath("auth/approle").MaxLeaseTTL, model.DefaultSystemTTL)
	require.NotNil(t, s.MountConfigByPath("auth/approle"))
	assert.Equal(t, model.Duration(0), s.MountConfigByPath("auth/approle").MaxLeaseTTL, "not tuned")
	require.NotNil(t, s.Server)
	assert.Equal(t, model.Duration(0), s.Server.MaxLeaseTTL, "not set: 768h")
	assert.Len(t, s.MountConfigs, 7)
	assert.Nil(t, s.MountConfigByPath("auth/userpass"))

	// Files and directories mix; a file named twice is read once.
	s2, err := Read(filepath.Join(jan2024, "token-broker.json"), jan2024)
	require.NoError(t, err)
	assert.Len(t, s2.Tokens, 3)
	assert.Equal(t, "broker", s2.Tokens[0].Role)
}

// Each file holds the envelope or the bare data object; both read the same.
func TestReadFile_EnvelopeAndBare(t *testing.T) {
	files, err := filepath.Glob(jan2024 + "/*.json")
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var top map[string]any
		if json.Unmarshal(data, &top) != nil || top["data"] == nil {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			env, err := ReadFile(filepath.Base(f), data)
			require.NoError(t, err)
			require.True(t, env.Enveloped)
			bareObj := top["data"].(map[string]any)
			if w, ok := top[wrapperKey]; ok {
				bareObj[wrapperKey] = w
			}
			bareData, err := json.Marshal(bareObj)
			require.NoError(t, err)
			bare, err := ReadFile(filepath.Base(f), bareData)
			require.NoError(t, err)
			assert.False(t, bare.Enveloped)
			bare.Enveloped = true
			assert.Equal(t, env, bare)
		})
	}
	assert.GreaterOrEqual(t, n, 10)
}

// Every OpenBao 2.6.2 sample is identified by content; those that need a
// name read fully once named by the convention.
func TestReadFile_OpenBaoSamples(t *testing.T) {
	tests := []struct {
		file  string
		kind  Kind
		named string // name to read it under, when its own name does not follow the convention
		check func(t *testing.T, it Item)
	}{
		{"auth-token-tune.json", KindMountTune, "", func(t *testing.T, it Item) {
			assert.Equal(t, Mount{Path: "auth/token", DefaultLeaseTTL: 10, MaxLeaseTTL: 20, TokenType: "default-service",
				Description: "token based credentials", File: "auth-token-tune.json"}, *it.Mount)
		}},
		{"auth-approle-tune.json", KindMountTune, "", func(t *testing.T, it Item) {
			// The default is inherited (768h), the max tuned to 20s: default above max is real data.
			assert.Equal(t, model.DefaultSystemTTL, it.Mount.DefaultLeaseTTL)
			assert.Equal(t, model.Duration(20), it.Mount.MaxLeaseTTL)
		}},
		{"mount-database-tune.json", KindMountTune, "mount-database2-tune.json", func(t *testing.T, it Item) {
			assert.Equal(t, Mount{Path: "database2", DefaultLeaseTTL: 10, MaxLeaseTTL: 15, File: "mount-database2-tune.json"}, *it.Mount)
		}},
		{"approle-role.json", KindAuthRole, "approle-role-f1.json", func(t *testing.T, it Item) {
			assert.Equal(t, model.AuthRole{Name: "f1", Mount: "auth/approle", TokenTTL: 5}, it.AuthRole.AuthRole)
			assert.Equal(t, "approle", it.AuthRole.Method)
			assert.Equal(t, "default", it.AuthRole.TokenTypeName)
		}},
		{"database-role.json", KindSecretsRole, "database-role-r60.json", func(t *testing.T, it Item) {
			assert.Equal(t, model.SecretsRole{Name: "r60", Mount: "database", DefaultTTL: 60, MaxTTL: 120}, it.SecretsRole.SecretsRole)
			assert.Equal(t, "pg", it.SecretsRole.DBName)
		}},
		{"token-lookup-self.json", KindTokenLookup, "", func(t *testing.T, it Item) {
			tok := it.Token
			assert.Equal(t, "EO5SHCZHC7q7tMTS6Bfk3Hkf", tok.Accessor)
			assert.Equal(t, model.FromTokenStore, tok.Origin)
			assert.Equal(t, "auth/token", tok.Mount)
			assert.Equal(t, model.Duration(10), tok.CreationTTL)
			assert.Equal(t, model.Duration(9), tok.TTL)
			assert.Equal(t, at("2026-11-28T17:28:55Z"), tok.CreationTime)
			assert.Equal(t, at("2026-11-28T17:28:56Z"), tok.Observed)
			assert.False(t, tok.Orphan)
			assert.Nil(t, tok.LastRenewal)
		}},
		{"lease-lookup.json", KindLeaseLookup, "", func(t *testing.T, it Item) {
			assert.Equal(t, "database/creds/r60", it.Lease.Path)
			assert.Equal(t, "database", it.Lease.Mount)
			assert.Equal(t, "r60", it.Lease.Role)
			assert.Equal(t, model.Duration(60), it.Lease.TTL)
			assert.Equal(t, at("2026-11-28T17:32:49Z"), it.Lease.Observed)
		}},
		{"approle-login.json", KindAuthResponse, "", func(t *testing.T, it Item) {
			assert.Equal(t, AuthResponse{Accessor: "jKj63QqUdbL3GItWX2uPQXKW", LeaseDuration: 5, Renewable: true, Orphan: true,
				Policies: []string{"default"}, Role: "f1", File: "approle-login.json"}, *it.AuthResponse)
		}},
		{"token-create.json", KindAuthResponse, "", func(t *testing.T, it Item) {
			assert.Equal(t, model.Duration(10), it.AuthResponse.LeaseDuration)
			assert.False(t, it.AuthResponse.Orphan)
		}},
		{"token-renew-capped.json", KindAuthResponse, "", func(t *testing.T, it Item) {
			assert.Equal(t, model.Duration(4), it.AuthResponse.LeaseDuration)
			assert.Equal(t, []string{`TTL of "8s" exceeded the effective max_ttl of "4s"; TTL value is capped accordingly`}, it.AuthResponse.Warnings)
		}},
		{"database-creds.json", KindSecretResponse, "", func(t *testing.T, it Item) {
			assert.Equal(t, SecretResponse{LeaseID: "database/creds/r60/XDi8YG41hSwsSR9pnj2wlu7m", LeaseDuration: 60, Renewable: true,
				File: "database-creds.json"}, *it.SecretResponse)
		}},
	}
	files, err := filepath.Glob(samples + "/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every sample has a test case")
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(samples, tc.file))
			require.NoError(t, err)
			kind, err := Identify(data)
			require.NoError(t, err)
			assert.Equal(t, tc.kind, kind)

			it, err := ReadFile(tc.file, data)
			switch {
			case tc.file == "mount-database-tune.json":
				// The convention reads the sample's own name as "database";
				// the server's mount was database2.
				require.NoError(t, err)
				assert.Equal(t, "database", it.Mount.Path)
				it, err = ReadFile(tc.named, data)
			case tc.named != "":
				require.Error(t, err, "its own name gives no role")
				assert.Contains(t, err.Error(), tc.file+": cannot tell which role this is")
				assert.Equal(t, tc.kind, it.Kind, "identified even when it cannot be named")
				it, err = ReadFile(tc.named, data)
			}
			require.NoError(t, err)
			assert.Equal(t, tc.kind, it.Kind)
			assert.True(t, it.Enveloped)
			tc.check(t, it)
		})
	}
}

// The samples are the server's responses byte for byte.
func TestOpenBaoSamplesUnchanged(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samples, "token-lookup-self.json"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"expire_time": "2026-11-28T17:29:05.893551893Z"`)
	assert.NotContains(t, string(data), `"parent"`, "a lookup never shows the parent")
}

var update = os.Getenv("LEASESIM_UPDATE_GOLDEN") != ""

// Every bad file fails with errors that name the file and, where the
// problem is a field's, the JSON field. The exact text is in bad/*.err
// (LEASESIM_UPDATE_GOLDEN=1 rewrites them).
func TestReadFile_Bad(t *testing.T) {
	fields := map[string][]string{
		"approle-role-digits.json":      {"data.token_ttl"},
		"approle-role-mixed.json":       {"data"},
		"approle-role-wrong-type.json":  {"data.token_max_ttl"},
		"approle-role.json":             {""},
		"auth-userpass-tune.json":       {"data.max_lease_ttl"},
		"database-role-fractional.json": {"default_ttl"},
		"duplicate-key.json":            {"data.ttl"},
		"not-json.json":                 {""},
		"not-vault.json":                {""},
		"token-millis.json":             {"data.creation_time", "data.ttl"},
		"token-ttl-string.json":         {"data.ttl"},
	}
	files, err := filepath.Glob(badDir + "/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(fields), "every bad file has a test case")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			_, err = ReadFile(name, data)
			require.Error(t, err)
			var es Errors
			require.ErrorAs(t, err, &es)
			var got []string
			for _, e := range es {
				assert.Equal(t, name, e.File)
				got = append(got, e.Field)
				assert.True(t, strings.HasPrefix(e.Error(), name+": "), e.Error())
			}
			assert.Equal(t, fields[name], got)

			golden := strings.TrimSuffix(f, ".json") + ".err"
			if update {
				require.NoError(t, os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644))
			}
			want, err2 := os.ReadFile(golden)
			require.NoError(t, err2)
			assert.Equal(t, strings.TrimRight(string(want), "\n"), err.Error())
		})
	}

	// Read reports every bad file at once, in name order.
	_, err = Read(badDir)
	require.Error(t, err)
	var es Errors
	require.ErrorAs(t, err, &es)
	seen := map[string]bool{}
	for _, e := range es {
		seen[filepath.Base(e.File)] = true
	}
	assert.Len(t, seen, len(fields))
}
