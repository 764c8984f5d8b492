package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// header builds the five required top-level lines; pairs override a value
// ("" removes the key). A value may carry the "#!" marker that tells the
// tests which line the problem must be reported on.
func header(pairs ...string) string {
	keys := []string{"name", "description", "start", "horizon", "seed"}
	vals := map[string]string{"name": "t", "description": "test", "start": "2024-01-01T00:00:00Z", "horizon": "40d", "seed": "1"}
	for i := 0; i+1 < len(pairs); i += 2 {
		vals[pairs[i]] = pairs[i+1]
	}
	var b strings.Builder
	for _, k := range keys {
		if vals[k] != "" {
			b.WriteString(k + ": " + vals[k] + "\n")
		}
	}
	return b.String()
}

var head = header()

// mounts declares an untuned auth/approle and a tuned database mount.
const mounts = `backend:
  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 24h}
`

// world adds one role of each kind.
const world = mounts + `roles:
  broker: {mount: auth/approle, token_ttl: 24h, token_max_ttl: 720h}
  app-db: {mount: database, default_ttl: 1h, max_ttl: 24h}
  tok: {mount: auth/token}
`

// actorsWorld adds actors for event tests: b logs in, svc has a child
// token, plain uses b's token directly.
const actorsWorld = world + `actors:
  b: {login: broker}
  svc: {via: b, child_token: {ttl: 1h}, credential: app-db}
  plain: {via: b}
`

// markerLine is the 1-based line holding "#!", or 0.
func markerLine(src string) int {
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "#!") {
			return i + 1
		}
	}
	return 0
}

type badCase struct {
	name   string
	src    string
	field  string
	phrase string
}

// runBad asserts that src yields exactly one problem, on the marked line,
// with the given field and a message containing phrase.
func runBad(t *testing.T, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := Parse("s.yaml", []byte(c.src))
			require.Error(t, err, "want a problem")
			assert.Nil(t, sc)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "error is %T", err)
			require.Len(t, ve.Problems, 1, "problems:\n%s", err)
			p := ve.Problems[0]
			assert.Equal(t, "s.yaml", p.File)
			assert.Equal(t, c.field, p.Field, "field (%s)", p)
			want := markerLine(c.src)
			require.NotZero(t, want, "test input has no #! marker")
			assert.Equal(t, want, p.Line, "line (%s)", p)
			assert.Contains(t, p.Msg, c.phrase)
		})
	}
}

type goodCase struct {
	name  string
	src   string
	check func(t *testing.T, sc *Scenario)
}

func runGood(t *testing.T, cases []goodCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := Parse("s.yaml", []byte(c.src))
			require.NoError(t, err)
			require.NotNil(t, sc)
			if c.check != nil {
				c.check(t, sc)
			}
		})
	}
}

func roleByName(t *testing.T, sc *Scenario, name string) Role {
	t.Helper()
	for _, r := range sc.Roles {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no role %s", name)
	return Role{}
}

func actorByName(t *testing.T, sc *Scenario, name string) Actor {
	t.Helper()
	for _, a := range sc.Actors {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no actor %s", name)
	return Actor{}
}

func TestParse_TopLevel(t *testing.T) {
	runGood(t, []goodCase{
		{"minimal", head, func(t *testing.T, sc *Scenario) {
			assert.Equal(t, "t", sc.Name)
			assert.Equal(t, "test", sc.Description)
			assert.Equal(t, 40*model.Day, sc.Horizon)
			assert.Equal(t, uint64(1), sc.Seed)
			assert.Nil(t, sc.Expect)
			assert.Equal(t, "s.yaml", sc.File)
		}},
		{"start zone is the display zone", header("start", "2023-12-14T10:54:00-07:00"), func(t *testing.T, sc *Scenario) {
			_, off := sc.Start.Zone()
			assert.Equal(t, -7*3600, off)
			assert.Equal(t, "2023-12-14T10:54:00-07:00", sc.Start.Format(time.RFC3339))
		}},
		{"quoted start", header("start", `"2024-01-01T00:00:00Z"`), func(t *testing.T, sc *Scenario) {
			assert.Equal(t, time.UTC, sc.Start.Location())
		}},
		{"horizon in seconds", header("horizon", "3600"), func(t *testing.T, sc *Scenario) {
			assert.Equal(t, model.Hour, sc.Horizon)
		}},
		{"horizon 100 years", header("horizon", "36525d"), nil},
		{"largest seed", header("seed", "18446744073709551615"), func(t *testing.T, sc *Scenario) {
			assert.Equal(t, uint64(18446744073709551615), sc.Seed)
		}},
		{"empty sections", head + "backend:\nroles:\nactors:\nevents:\nannotations:\n", nil},
		{"empty expect", head + "expect:\n", func(t *testing.T, sc *Scenario) {
			require.NotNil(t, sc.Expect)
			assert.Equal(t, 6, sc.Expect.Line)
		}},
	})
	runBad(t, []badCase{
		{"name missing", "description: test #!\nstart: 2024-01-01T00:00:00Z\nhorizon: 40d\nseed: 1\n", "name", "required"},
		{"name pattern", header("name", "Bad_Name #!"), "name", "lower-case letters, digits and '-'"},
		{"name not a string", header("name", "123 #!"), "name", "got the integer 123"},
		{"description missing", header("description", "", "name", "t #!"), "description", "required"},
		{"description empty", header("description", `"" #!`), "description", "must not be empty"},
		{"start missing", "name: t #!\ndescription: d\nhorizon: 40d\nseed: 1\n", "start", "required"},
		{"start date only", header("start", "2024-01-01 #!"), "start", "RFC 3339"},
		{"start without zone", header("start", "2024-01-01T00:00:00 #!"), "start", "with a zone"},
		{"start fraction", header("start", "2024-01-01T00:00:00.5Z #!"), "start", "fraction of a second"},
		{"start as offset", header("start", "0 #!"), "start", "expected an RFC 3339 time"},
		{"horizon zero", header("horizon", "0 #!"), "horizon", "more than 0s"},
		{"horizon over 100 years", header("horizon", "36526d #!"), "horizon", "at most 100 years"},
		{"horizon float", header("horizon", "1.5 #!"), "horizon", "not a whole number of seconds"},
		{"horizon negative", header("horizon", "-1h #!"), "horizon", "negative duration"},
		{"horizon nonsense", header("horizon", "forty days #!"), "horizon", "want e.g. 90s, 1h30m, 768h or 32d"},
		{"horizon sub-second", header("horizon", "1500ms #!"), "horizon", "fraction of a second"},
		{"horizon huge integer", header("horizon", "99999999999999999 #!"), "horizon", "too long"},
		{"seed negative", header("seed", "-1 #!"), "seed", "negative seed"},
		{"seed string", header("seed", `"1" #!`), "seed", "expected a non-negative integer"},
		{"seed float", header("seed", "1.5 #!"), "seed", "expected a non-negative integer"},
		{"seed too big", header("seed", "18446744073709551616 #!"), "seed", "expected a non-negative integer"},
		{"unknown key", head + "horizn: 1d #!\n", "horizn", "did you mean 'horizon'"},
		{"unknown key lists valid", head + "zzz: 1 #!\n", "zzz", "valid keys here: name, description, start, horizon, seed, backend"},
		{"duplicate key", head + "seed: 2 #!\n", "seed", "duplicate key 'seed' (first set at line 5)"},
		{"section wrong type", head + "roles: [a] #!\n", "roles", "expected a mapping"},
		{"events not a list", head + "events: {at: 1h} #!\n", "events", "expected a list of events"},
		{"annotations not a list", head + "annotations: x #!\n", "annotations", "expected a list of annotations"},
	})
}

func TestParse_Backend(t *testing.T) {
	runGood(t, []goodCase{
		{"mounts in file order, auth/token added", head + mounts, func(t *testing.T, sc *Scenario) {
			require.Len(t, sc.Backend.Mounts, 3)
			assert.Equal(t, model.Mount{Path: "auth/approle"}, sc.Backend.Mounts[0])
			assert.Equal(t, model.Mount{Path: "database", DefaultLeaseTTL: model.Hour, MaxLeaseTTL: 24 * model.Hour}, sc.Backend.Mounts[1])
			assert.Equal(t, model.Mount{Path: "auth/token"}, sc.Backend.Mounts[2])
			assert.Equal(t, 8, sc.Backend.Lines["auth/approle"])
			assert.Equal(t, 9, sc.Backend.Lines["database"])
		}},
		{"tuned auth/token kept", head + "backend:\n  mounts:\n    auth/token: {max_lease_ttl: 8760h}\n", func(t *testing.T, sc *Scenario) {
			require.Len(t, sc.Backend.Mounts, 1)
			assert.Equal(t, 8760*model.Hour, sc.Backend.Mounts[0].MaxLeaseTTL)
		}},
		{"null mount value and system", head + "backend:\n  default_lease_ttl: 1h\n  max_lease_ttl: 8760h\n  mounts:\n    kv:\n    auth/kubernetes/prod: {}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, model.System{DefaultLeaseTTL: model.Hour, MaxLeaseTTL: 8760 * model.Hour}, sc.Backend.System)
			assert.Len(t, sc.Backend.Mounts, 3)
		}},
		{"mount tuned above system max is allowed", head + "backend:\n  mounts:\n    database: {max_lease_ttl: 8760h}\n", nil},
	})
	runBad(t, []badCase{
		{"system default above max", head + "backend:\n  default_lease_ttl: 48h #!\n  max_lease_ttl: 24h\n", "backend.default_lease_ttl", "cannot exceed max lease TTL 24h"},
		{"system default above implicit max", head + "backend:\n  default_lease_ttl: 800h #!\n", "backend.default_lease_ttl", "cannot exceed max lease TTL 768h"},
		{"unknown backend key", head + "backend:\n  mount: {} #!\n", "backend.mount", "did you mean 'mounts'"},
		{"trailing slash", head + "backend:\n  mounts:\n    database/: {} #!\n", "backend.mounts.database/", `write "database"`},
		{"leading slash", head + "backend:\n  mounts:\n    /auth/approle: {} #!\n", "backend.mounts./auth/approle", `write "auth/approle"`},
		{"invalid path", head + "backend:\n  mounts:\n    Data Base: {} #!\n", "backend.mounts.Data Base", "invalid mount path"},
		{"empty segment", head + "backend:\n  mounts:\n    auth//x: {} #!\n", "backend.mounts.auth//x", "invalid mount path"},
		{"reserved", head + "backend:\n  mounts:\n    sys: {} #!\n", "backend.mounts.sys", "reserved"},
		{"bare auth", head + "backend:\n  mounts:\n    auth: {} #!\n", "backend.mounts.auth", "auth/NAME"},
		{"overlapping", head + "backend:\n  mounts:\n    database: {}\n    database/prod: {} #!\n", "backend.mounts.database/prod", "overlaps mount \"database\""},
		{"overlapping, parent second", head + "backend:\n  mounts:\n    database/prod: {}\n    database: {} #!\n", "backend.mounts.database", "overlaps mount \"database/prod\""},
		{"duplicate mount", head + "backend:\n  mounts:\n    kv: {}\n    kv: {} #!\n", "backend.mounts.kv", "duplicate key 'kv' (first set at line 8)"},
		{"mount default above max", head + "backend:\n  mounts:\n    database: {default_lease_ttl: 48h, max_lease_ttl: 24h} #!\n", "backend.mounts.database.default_lease_ttl", "greater than given max lease TTL 24h"},
		{"mount default above system max", head + "backend:\n  mounts:\n    database: {default_lease_ttl: 800h} #!\n", "backend.mounts.database.default_lease_ttl", "greater than system max lease TTL 768h"},
		{"mount unknown key", head + "backend:\n  mounts:\n    database: {max_ttl: 1h} #!\n", "backend.mounts.database.max_ttl", "valid keys here: default_lease_ttl, max_lease_ttl"},
		{"mount value wrong type", head + "backend:\n  mounts:\n    database: 24h #!\n", "backend.mounts.database", "expected a mapping"},
		{"mount negative", head + "backend:\n  mounts:\n    database: {max_lease_ttl: -1h} #!\n", "backend.mounts.database.max_lease_ttl", "negative duration"},
	})
}

func TestParse_Roles(t *testing.T) {
	runGood(t, []goodCase{
		{"kinds follow the mount", head + world, func(t *testing.T, sc *Scenario) {
			require.Len(t, sc.Roles, 3)
			b := roleByName(t, sc, "broker")
			assert.Equal(t, AuthRole, b.Kind)
			assert.Equal(t, model.AuthRole{Name: "broker", Mount: "auth/approle", TokenTTL: 24 * model.Hour, TokenMaxTTL: 720 * model.Hour}, b.Auth)
			assert.Equal(t, 11, b.Line)
			d := roleByName(t, sc, "app-db")
			assert.Equal(t, SecretsRole, d.Kind)
			assert.Equal(t, model.SecretsRole{Name: "app-db", Mount: "database", DefaultTTL: model.Hour, MaxTTL: 24 * model.Hour}, d.Secrets)
			tk := roleByName(t, sc, "tok")
			assert.Equal(t, TokenRole, tk.Kind)
			assert.Equal(t, "auth/token", tk.Mount)
			assert.Equal(t, model.TokenRole{Name: "tok", Renewable: true}, tk.Token, "renewable defaults to true, orphan to false")
		}},
		{"token role legacy names", head + "roles:\n  r: {mount: auth/token, explicit_max_ttl: 2h, period: 1h, renewable: false, orphan: true, token_num_uses: 3}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, model.TokenRole{Name: "r", TokenExplicitMaxTTL: 2 * model.Hour, TokenPeriod: model.Hour, Orphan: true, TokenNumUses: 3}, sc.Roles[0].Token)
		}},
		{"batch orphan token role", head + "roles:\n  r: {mount: auth/token, token_type: batch, orphan: true}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, model.TokenBatch, sc.Roles[0].Token.TokenType)
		}},
		{"auth role every field", head + mounts + "roles:\n  r: {mount: auth/approle, token_ttl: 1h, token_max_ttl: 2h, token_explicit_max_ttl: 3h, token_period: 30m, token_num_uses: 5, token_type: default-service}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, model.AuthRole{Name: "r", Mount: "auth/approle", TokenTTL: model.Hour, TokenMaxTTL: 2 * model.Hour,
				TokenExplicitMaxTTL: 3 * model.Hour, TokenPeriod: 30 * model.Minute, TokenNumUses: 5}, sc.Roles[0].Auth)
		}},
		{"secrets default above max is allowed", head + mounts + "roles:\n  r: {mount: database, default_ttl: 48h, max_ttl: 24h}\n", nil},
	})
	runBad(t, []badCase{
		{"mount missing", head + mounts + "roles:\n  r: {token_ttl: 1h} #!\n", "roles.r.mount", "required"},
		{"mount undeclared", head + mounts + "roles:\n  r: {mount: auth/aprole} #!\n", "roles.r.mount", "did you mean 'auth/approle'"},
		{"mount not a string", head + mounts + "roles:\n  r: {mount: [database]} #!\n", "roles.r.mount", "expected a mount path"},
		{"role not a mapping", head + mounts + "roles:\n  r: database #!\n", "roles.r", "expected a mapping"},
		{"role name", head + mounts + "roles:\n  bad name: {mount: database} #!\n", "roles.bad name", "invalid role name"},
		{"token_ttl above token_max_ttl", head + mounts + "roles:\n  broker:\n    mount: auth/approle\n    token_ttl: 48h #!\n    token_max_ttl: 24h\n",
			"roles.broker.token_ttl", "'token_ttl' cannot be greater than 'token_max_ttl' (48h > 24h)"},
		{"auth batch periodic", head + mounts + "roles:\n  r:\n    mount: auth/approle\n    token_type: batch\n    token_period: 1h #!\n", "roles.r.token_period", "periodic tokens"},
		{"auth batch use-limited", head + mounts + "roles:\n  r:\n    mount: auth/approle\n    token_type: default-batch\n    token_num_uses: 1 #!\n", "roles.r.token_num_uses", "limited use count"},
		{"auth bad token_type", head + mounts + "roles:\n  r: {mount: auth/approle, token_type: bogus} #!\n", "roles.r.token_type", "valid: service, batch"},
		{"auth negative num uses", head + mounts + "roles:\n  r: {mount: auth/approle, token_num_uses: -1} #!\n", "roles.r.token_num_uses", "out of range"},
		{"auth negative ttl", head + mounts + "roles:\n  r: {mount: auth/approle, token_ttl: -1h} #!\n", "roles.r.token_ttl", "negative duration"},
		{"auth role with token role key", head + mounts + "roles:\n  r: {mount: auth/approle, orphan: true} #!\n", "roles.r.orphan",
			"is a key of token roles (roles on auth/token); this role is an auth role because its mount auth/approle is an auth mount"},
		{"auth role legacy max_ttl", head + mounts + "roles:\n  r: {mount: auth/approle, max_ttl: 1h} #!\n", "roles.r.max_ttl", "'max_ttl' is the deprecated name of 'token_max_ttl'"},
		{"auth role legacy ttl", head + mounts + "roles:\n  r: {mount: auth/approle, ttl: 1h} #!\n", "roles.r.ttl", "use token_ttl"},
		{"auth role legacy period", head + mounts + "roles:\n  r: {mount: auth/approle, period: 1h} #!\n", "roles.r.period", "AppRole and most auth methods still accept it, deprecated); scenarios take the current name: use token_period"},
		{"auth role with secrets key", head + mounts + "roles:\n  r: {mount: auth/approle, default_ttl: 1h} #!\n", "roles.r.default_ttl", "is a key of secrets roles"},
		{"token role token_ttl", head + "roles:\n  r: {mount: auth/token, token_ttl: 1h} #!\n", "roles.r.token_ttl", "token roles do not accept 'token_ttl'"},
		{"token role token_ttl suggests", head + "roles:\n  r: {mount: auth/token, token_ttl: 1h} #!\n", "roles.r.token_ttl", "set 'ttl' on the token request"},
		{"token role token_max_ttl", head + "roles:\n  r: {mount: auth/token, token_max_ttl: 1h} #!\n", "roles.r.token_max_ttl", "tune auth/token"},
		{"token role period twice", head + "roles:\n  r:\n    mount: auth/token\n    token_period: 2h\n    period: 1h #!\n", "roles.r.period", "legacy name of 'token_period'"},
		{"token role explicit max twice", head + "roles:\n  r:\n    mount: auth/token\n    explicit_max_ttl: 1h #!\n    token_explicit_max_ttl: 2h\n", "roles.r.explicit_max_ttl", "set only one of them"},
		{"token role batch not orphan", head + "roles:\n  r:\n    mount: auth/token\n    token_type: batch #!\n", "roles.r.orphan", "set orphan: true"},
		{"token role batch periodic via legacy", head + "roles:\n  r:\n    mount: auth/token\n    token_type: batch\n    orphan: true\n    period: 1h #!\n", "roles.r.period", "periodic tokens"},
		{"token role renewable not bool", head + "roles:\n  r: {mount: auth/token, renewable: yes} #!\n", "roles.r.renewable", "expected true or false"},
		{"token role with secrets key", head + "roles:\n  r: {mount: auth/token, default_ttl: 1h} #!\n", "roles.r.default_ttl", "this role is a token role because its mount is auth/token"},
		{"secrets role with auth key", head + mounts + "roles:\n  r: {mount: database, token_ttl: 1h} #!\n", "roles.r.token_ttl",
			"is a key of auth roles (roles on an auth/ mount other than auth/token, e.g. auth/approle); this role is a secrets role because its mount database is a secrets mount"},
		{"secrets misspelt", head + mounts + "roles:\n  r: {mount: database, max_tll: 1h} #!\n", "roles.r.max_tll", "did you mean 'max_ttl'"},
		{"secrets negative", head + mounts + "roles:\n  r: {mount: database, default_ttl: -1h} #!\n", "roles.r.default_ttl", "negative duration"},
		{"secrets ttl not duration", head + mounts + "roles:\n  r: {mount: database, default_ttl: true} #!\n", "roles.r.default_ttl", "expected a duration such as 90s"},
	})
}

func TestParse_Actors(t *testing.T) {
	runGood(t, []goodCase{
		{"defaults", head + world + "actors:\n  a: {login: broker}\n", func(t *testing.T, sc *Scenario) {
			a := actorByName(t, sc, "a")
			assert.Equal(t, Actor{Name: "a", Line: 15, Login: "broker", Replicas: 1}, a)
		}},
		{"token request", head + world + "actors:\n  a:\n    token: {role: tok, ttl: 1h, explicit_max_ttl: 2h, period: 30m, renewable: false, no_parent: true, num_uses: 4}\n", func(t *testing.T, sc *Scenario) {
			a := actorByName(t, sc, "a")
			require.NotNil(t, a.Token)
			assert.Equal(t, "tok", a.Token.RoleName)
			assert.Equal(t, 16, a.Token.Line)
			require.NotNil(t, a.Token.Request.Role)
			assert.Same(t, &sc.Roles[2].Token, a.Token.Request.Role)
			r := a.Token.Request
			r.Role = nil
			assert.Equal(t, model.TokenRequest{TTL: model.Hour, ExplicitMaxTTL: 2 * model.Hour, Period: 30 * model.Minute, NoParent: true, NumUses: 4}, r)
		}},
		{"empty token request", head + "actors:\n  a: {token: {}}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, model.TokenRequest{Renewable: true}, sc.Actors[0].Token.Request)
		}},
		{"via with child token, declared later", head + world + "actors:\n  svc: {via: b, child_token: {ttl: 24h, type: service}, replicas: 20, credential: app-db}\n  b: {login: broker}\n", func(t *testing.T, sc *Scenario) {
			a := actorByName(t, sc, "svc")
			assert.Equal(t, "b", a.Via)
			require.NotNil(t, a.ChildToken)
			assert.Equal(t, model.TokenRequest{TTL: 24 * model.Hour, Renewable: true}, a.ChildToken.Request)
			assert.Equal(t, 20, a.Replicas)
			assert.Equal(t, "app-db", a.Credential)
		}},
		{"renew none, reauth, refresh none", head + world + "actors:\n  a: {login: broker, renew: none, when_exhausted: reauth, credential: app-db, refresh: none}\n", func(t *testing.T, sc *Scenario) {
			a := sc.Actors[0]
			assert.Equal(t, RenewPolicy{Kind: RenewNone}, a.Renew)
			assert.Equal(t, ExhaustPolicy{Kind: ExhaustReauth}, a.WhenExhausted)
			assert.Equal(t, RefreshPolicy{Kind: RefreshNone}, a.Refresh)
		}},
		{"renew fraction", head + world + "actors:\n  a: {login: broker, renew: {at: 0.67, jitter: 0.1, increment: 1h}, when_exhausted: {reauth: {at: 0.9}}, credential: app-db, refresh: {at: 0.8}}\n", func(t *testing.T, sc *Scenario) {
			a := sc.Actors[0]
			assert.Equal(t, RenewPolicy{Kind: RenewFraction, At: 0.67, Jitter: 0.1, Increment: model.Hour}, a.Renew)
			assert.Equal(t, ExhaustPolicy{Kind: ExhaustReauth, At: 0.9}, a.WhenExhausted)
			assert.Equal(t, RefreshPolicy{Kind: RefreshFraction, At: 0.8}, a.Refresh)
		}},
		{"renew every, watcher", head + world + "actors:\n  a: {login: broker, renew: {every: 12h}, credential: app-db, refresh: watcher}\n  c: {login: broker, renew: watcher, when_exhausted: {reauth: }}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, RenewPolicy{Kind: RenewEvery, Every: 12 * model.Hour}, sc.Actors[0].Renew)
			assert.Equal(t, RefreshPolicy{Kind: RefreshWatcher}, sc.Actors[0].Refresh)
			assert.Equal(t, RenewPolicy{Kind: RenewWatcher}, sc.Actors[1].Renew)
			assert.Equal(t, ExhaustPolicy{Kind: ExhaustReauth}, sc.Actors[1].WhenExhausted)
		}},
		{"refresh renew", head + world + "actors:\n  a: {login: broker, credential: app-db, refresh: renew}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, RefreshPolicy{Kind: RefreshRenew}, sc.Actors[0].Refresh)
		}},
		{"replicas bounds", head + world + "actors:\n  a: {login: broker, replicas: 1000000}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, 1000000, sc.Actors[0].Replicas)
		}},
		{"start", head + world + "actors:\n  a: {login: broker, start: 2024-01-02T00:00:00Z}\n  c: {login: broker, start: 1h}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, model.Instant(86400), sc.Actors[0].StartAt)
			assert.Equal(t, model.Instant(3600), sc.Actors[1].StartAt)
		}},
	})
	a := head + world + "actors:\n"
	runBad(t, []badCase{
		{"no source", a + "  a: {replicas: 2} #!\n", "actors.a", "needs a token source"},
		{"two sources", a + "  a: {login: broker, token: {}} #!\n", "actors.a.token", "exactly one of login, token or via"},
		{"actor name", a + "  Bad: {login: broker} #!\n", "actors.Bad", "invalid actor name"},
		{"login non-auth role", a + "  a: {login: app-db} #!\n", "actors.a.login", "role \"app-db\" is a secrets role (mount database); login needs an auth role"},
		{"login token role", a + "  a: {login: tok} #!\n", "actors.a.login", "is a token role"},
		{"login unknown", a + "  a: {login: brokr} #!\n", "actors.a.login", "did you mean 'broker'"},
		{"login not a string", a + "  a: {login: {role: broker}} #!\n", "actors.a.login", "expected an auth role name, got a mapping"},
		{"via unknown", a + "  b: {login: broker}\n  a: {via: bb} #!\n", "actors.a.via", "unknown actor \"bb\""},
		{"via chain", a + "  b: {login: broker}\n  c: {via: b}\n  a: {via: c} #!\n", "actors.a.via", "itself gets its token via \"b\""},
		{"via self", a + "  a: {via: a} #!\n", "actors.a.via", "cannot get its token via itself"},
		{"child_token without via", a + "  a: {login: broker, child_token: {}} #!\n", "actors.a.child_token", "only goes with 'via'"},
		{"token role wrong kind", a + "  a: {token: {role: broker}} #!\n", "actors.a.token.role", "is an auth role"},
		{"token role unknown", a + "  a: {token: {role: tokk}} #!\n", "actors.a.token.role", "did you mean 'tok'"},
		{"batch explicit max", a + "  a: {token: {type: batch, explicit_max_ttl: 1h}} #!\n", "actors.a.token.explicit_max_ttl", `batch tokens cannot have "explicit_max_ttl" set`},
		{"batch num uses", a + "  a: {token: {type: batch, num_uses: 2}} #!\n", "actors.a.token.num_uses", `batch tokens cannot have "num_uses" set`},
		{"request bad type", a + "  a: {token: {type: default}} #!\n", "actors.a.token.type", "valid: service, batch"},
		{"request role key", a + "  a: {token: {token_ttl: 1h}} #!\n", "actors.a.token.token_ttl", "takes 'ttl', not 'token_ttl'"},
		{"request max ttl", a + "  a: {token: {max_ttl: 1h}} #!\n", "actors.a.token.max_ttl", "'explicit_max_ttl'"},
		{"request negative ttl", a + "  a: {token: {ttl: -1h}} #!\n", "actors.a.token.ttl", "negative duration"},
		{"request field at actor level", a + "  a: {login: broker, ttl: 1h} #!\n", "actors.a.ttl", "put it inside token: {…} or child_token: {…}"},
		{"renew at and every", a + "  a: {login: broker, renew: {at: 0.5, every: 1h}} #!\n", "actors.a.renew.every", "two different policies"},
		{"renew at 1", a + "  a: {login: broker, renew: {at: 1}} #!\n", "actors.a.renew.at", "strictly between 0 and 1"},
		{"renew at 0", a + "  a: {login: broker, renew: {at: 0}} #!\n", "actors.a.renew.at", "strictly between 0 and 1"},
		{"renew jitter too wide", a + "  a: {login: broker, renew: {at: 0.5, jitter: 0.5}} #!\n", "actors.a.renew.jitter", "at ± jitter must stay strictly between 0 and 1"},
		{"renew jitter 1", a + "  a: {login: broker, renew: {at: 0.5, jitter: 1}} #!\n", "actors.a.renew.jitter", "up to (not including) 1"},
		{"renew jitter with every", a + "  a: {login: broker, renew: {every: 1h, jitter: 0.1}} #!\n", "actors.a.renew.jitter", "only goes with 'at'"},
		{"renew every zero", a + "  a: {login: broker, renew: {every: 0}} #!\n", "actors.a.renew.every", "more than 0s"},
		{"renew neither", a + "  a: {login: broker, renew: {increment: 1h}} #!\n", "actors.a.renew", "needs 'at'"},
		{"renew misspelt", a + "  a: {login: broker, renew: watch} #!\n", "actors.a.renew", "did you mean 'watcher'"},
		{"renew unknown key", a + "  a: {login: broker, renew: {at: 0.5, jiter: 0.1}} #!\n", "actors.a.renew.jiter", "did you mean 'jitter'"},
		{"renew without own token", a + "  b: {login: broker}\n  a: {via: b, renew: none} #!\n", "actors.a.renew", "this actor has none"},
		{"when_exhausted without own token", a + "  b: {login: broker}\n  a: {via: b, when_exhausted: reauth} #!\n", "actors.a.when_exhausted", "add child_token"},
		{"when_exhausted at", a + "  a: {login: broker, when_exhausted: {reauth: {at: 1.5}}} #!\n", "actors.a.when_exhausted.reauth.at", "strictly between 0 and 1"},
		{"when_exhausted misspelt", a + "  a: {login: broker, when_exhausted: reuath} #!\n", "actors.a.when_exhausted", "did you mean 'reauth'"},
		{"when_exhausted empty", a + "  a: {login: broker, when_exhausted: {}} #!\n", "actors.a.when_exhausted", "empty mapping"},
		{"replicas zero", a + "  a: {login: broker, replicas: 0} #!\n", "actors.a.replicas", "from 1 to 1000000"},
		{"replicas too many", a + "  a: {login: broker, replicas: 1000001} #!\n", "actors.a.replicas", "out of range"},
		{"replicas string", a + "  a: {login: broker, replicas: \"2\"} #!\n", "actors.a.replicas", "expected an integer"},
		{"credential wrong kind", a + "  a: {login: broker, credential: broker} #!\n", "actors.a.credential", "credential needs a secrets role"},
		{"credential unknown", a + "  a: {login: broker, credential: app_db} #!\n", "actors.a.credential", "did you mean 'app-db'"},
		{"refresh without credential", a + "  a: {login: broker, refresh: none} #!\n", "actors.a.refresh", "only goes with 'credential'"},
		{"refresh at", a + "  a: {login: broker, credential: app-db, refresh: {at: 1}} #!\n", "actors.a.refresh.at", "strictly between 0 and 1"},
		{"refresh bogus", a + "  a: {login: broker, credential: app-db, refresh: always} #!\n", "actors.a.refresh", "want watcher, renew, none or {at: F}"},
		{"start before start", a + "  a: {login: broker, start: 2023-12-31T00:00:00Z} #!\n", "actors.a.start", "before start"},
	})
}

func TestParse_Demand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{
		{"50", 50}, {"0", 0}, {"0.5", 0.5}, {"50/s", 50}, {"300/min", 5}, {"60/m", 1}, {"7200/h", 2}, {"1.5/s", 1.5}, {"\"50 / s\"", 50},
	} {
		t.Run(c.in, func(t *testing.T) {
			sc, err := Parse("s.yaml", []byte(head+"actors:\n  a: {token: {}, demand: "+c.in+"}\n"))
			require.NoError(t, err)
			assert.InDelta(t, c.want, sc.Actors[0].Demand, 1e-12)
		})
	}
	a := head + "actors:\n"
	runBad(t, []badCase{
		{"per week", a + "  a: {token: {}, demand: 5/week} #!\n", "actors.a.demand", "N/s, N/m, N/min or N/h"},
		{"negative number", a + "  a: {token: {}, demand: -1} #!\n", "actors.a.demand", "negative demand"},
		{"negative rate", a + "  a: {token: {}, demand: -1/s} #!\n", "actors.a.demand", "negative demand"},
		{"words", a + "  a: {token: {}, demand: lots} #!\n", "actors.a.demand", "invalid demand"},
		{"no number", a + "  a: {token: {}, demand: /s} #!\n", "actors.a.demand", "invalid demand"},
		{"infinite", a + "  a: {token: {}, demand: .inf} #!\n", "actors.a.demand", "requests per second"},
		{"inf rate", a + "  a: {token: {}, demand: inf/s} #!\n", "actors.a.demand", "invalid demand"},
		{"bool", a + "  a: {token: {}, demand: true} #!\n", "actors.a.demand", "got the boolean true"},
	})
}

func TestParse_Times(t *testing.T) {
	at := func(v string) string { return head + "annotations:\n  - {at: " + v + ", label: x} #!\n" }
	for _, c := range []struct {
		in   string
		want model.Instant
	}{
		{"2024-01-02T00:00:00Z", 86400},
		{`"2024-01-02T00:00:00Z"`, 86400},
		{"2024-01-01T01:00:00+01:00", 0},
		{"2024-01-01T00:00:00-07:00", 7 * 3600},
		{"768h", 768 * 3600},
		{"32d", 32 * 86400},
		{"1d12h", 36 * 3600},
		{"3600", 3600},
		{"0", 0},
		{"40d", 40 * 86400},
		{"2024-02-10T00:00:00Z", 40 * 86400},
	} {
		t.Run(c.in, func(t *testing.T) {
			sc, err := Parse("s.yaml", []byte(at(c.in)))
			require.NoError(t, err)
			assert.Equal(t, c.want, sc.Annotations[0].At)
		})
	}
	runBad(t, []badCase{
		{"before start", at("2023-12-31T23:59:59Z"), "annotations[0].at", "before start (2024-01-01T00:00:00Z)"},
		{"after horizon", at("2024-02-10T00:00:01Z"), "annotations[0].at", "after the horizon"},
		{"offset beyond horizon", at("40d1s"), "annotations[0].at", "beyond the horizon (960h)"},
		{"seconds beyond horizon", at("3456001"), "annotations[0].at", "beyond the horizon"},
		{"sub-second time", at("2024-01-02T00:00:00.5Z"), "annotations[0].at", "fraction of a second"},
		{"sub-second offset", at("1.5s"), "annotations[0].at", "fraction of a second"},
		{"float offset", at("1.5"), "annotations[0].at", "expected an RFC 3339 time"},
		{"date only", at("2024-01-02"), "annotations[0].at", "RFC 3339 with a zone"},
		{"no zone", at("\"2024-01-02T00:00:00\""), "annotations[0].at", "RFC 3339 with a zone"},
		{"negative offset", at("-1h"), "annotations[0].at", "negative offset"},
		{"negative seconds", at("-5"), "annotations[0].at", "out of range"},
		{"words", at("soon"), "annotations[0].at", "invalid time \"soon\""},
		{"list", at("[1]"), "annotations[0].at", "got a list"},
	})
}

func TestParse_Events(t *testing.T) {
	runGood(t, []goodCase{
		{"every kind", head + actorsWorld + `events:
  - {at: 1h, do: reauth, actor: b}
  - {at: 2h, do: revoke, actor: svc}
  - {at: 3h, do: revoke-orphan, actor: b}
  - {at: 4h, do: tune, mount: database, set: {max_lease_ttl: 48h, default_lease_ttl: 2h}}
  - {at: 5h, do: role, role: broker, set: {token_max_ttl: 1000h, token_ttl: 12h}}
  - {at: 6h, do: deploy}
  - {at: 7h, do: deploy, actor: svc}
  - {at: 8h, do: outage, until: 9h}
  - {at: 9h, do: tune, mount: auth/token, set: {max_lease_ttl: system}}
`, func(t *testing.T, sc *Scenario) {
			require.Len(t, sc.Events, 9)
			assert.Equal(t, Event{Line: 19, At: 3600, Do: EventReauth, Actor: "b"}, sc.Events[0])
			assert.Equal(t, EventRevoke, sc.Events[1].Do)
			assert.Equal(t, EventRevokeOrphan, sc.Events[2].Do)
			assert.Equal(t, Event{Line: 22, At: 4 * 3600, Do: EventTune, Mount: "database",
				Set: []FieldValue{{"max_lease_ttl", 48 * model.Hour}, {"default_lease_ttl", 2 * model.Hour}}}, sc.Events[3])
			assert.Equal(t, []FieldValue{{"token_max_ttl", 1000 * model.Hour}, {"token_ttl", 12 * model.Hour}}, sc.Events[4].Set, "file order")
			assert.Equal(t, "broker", sc.Events[4].Role)
			assert.Equal(t, Event{Line: 24, At: 6 * 3600, Do: EventDeploy}, sc.Events[5])
			assert.Equal(t, "svc", sc.Events[6].Actor)
			assert.Equal(t, Event{Line: 26, At: 8 * 3600, Do: EventOutage, Until: 9 * 3600}, sc.Events[7])
			assert.Equal(t, []FieldValue{{"max_lease_ttl", 0}}, sc.Events[8].Set)
		}},
		{"role event on token and secrets roles", head + actorsWorld + "events:\n  - {at: 1h, do: role, role: tok, set: {token_period: 1h}}\n  - {at: 1h, do: role, role: app-db, set: {max_ttl: 1h}}\n", nil},
	})
	e := head + actorsWorld + "events:\n"
	runBad(t, []badCase{
		{"at missing", e + "  - {do: deploy} #!\n", "events[0].at", "required"},
		{"do missing", e + "  - {at: 1h} #!\n", "events[0].do", "required: what happens, one of reauth, revoke"},
		{"do unknown", e + "  - {at: 1h, do: reuath, actor: b} #!\n", "events[0].do", "did you mean 'reauth'"},
		{"event not a mapping", e + "  - reauth #!\n", "events[0]", "expected a mapping"},
		{"actor missing", e + "  - {at: 1h, do: revoke} #!\n", "events[0].actor", "required by do: revoke"},
		{"actor unknown", e + "  - {at: 1h, do: reauth, actor: bb} #!\n", "events[0].actor", "unknown actor \"bb\""},
		{"actor without own token", e + "  - {at: 1h, do: revoke-orphan, actor: plain} #!\n", "events[0].actor", "has no token of its own"},
		{"key of another kind", e + "  - {at: 1h, do: outage, until: 2h, actor: b} #!\n", "events[0].actor", "'actor' is not used by do: outage; it takes: at, do, until"},
		{"unknown key", e + "  - {at: 1h, do: deploy, actr: b} #!\n", "events[0].actr", "did you mean 'actor'"},
		{"deploy unknown actor", e + "  - {at: 1h, do: deploy, actor: nobody} #!\n", "events[0].actor", "unknown actor"},
		{"tune mount missing", e + "  - {at: 1h, do: tune, set: {max_lease_ttl: 1h}} #!\n", "events[0].mount", "required by do: tune"},
		{"tune mount undeclared", e + "  - {at: 1h, do: tune, mount: databse, set: {max_lease_ttl: 2h}} #!\n", "events[0].mount", "did you mean 'database'"},
		{"tune set missing", e + "  - {at: 1h, do: tune, mount: database} #!\n", "events[0].set", "required by do: tune"},
		{"tune set empty", e + "  - {at: 1h, do: tune, mount: database, set: {}} #!\n", "events[0].set", "at least one of: default_lease_ttl, max_lease_ttl"},
		{"tune set unknown", e + "  - {at: 1h, do: tune, mount: database, set: {max_ttl: 1h}} #!\n", "events[0].set.max_ttl", "valid keys here: default_lease_ttl, max_lease_ttl"},
		{"tune result invalid", e + "  - {at: 1h, do: tune, mount: database, set: {max_lease_ttl: 30m}} #!\n", "events[0].set.max_lease_ttl", "cannot be less than backend default lease TTL 1h"},
		{"tune results in time order", e + "  - {at: 2h, do: tune, mount: database, set: {max_lease_ttl: 2h}} #!\n  - {at: 1h, do: tune, mount: database, set: {default_lease_ttl: 3h}}\n",
			"events[0].set.max_lease_ttl", "max lease TTL 2h cannot be less than backend default lease TTL 3h"},
		{"tune negative", e + "  - {at: 1h, do: tune, mount: database, set: {max_lease_ttl: -1h}} #!\n", "events[0].set.max_lease_ttl", "negative duration"},
		{"role unknown", e + "  - {at: 1h, do: role, role: brokr, set: {token_ttl: 1h}} #!\n", "events[0].role", "did you mean 'broker'"},
		{"role result invalid", e + "  - {at: 1h, do: role, role: broker, set: {token_ttl: 800h}} #!\n", "events[0].set.token_ttl", "'token_ttl' cannot be greater than 'token_max_ttl' (800h > 720h)"},
		{"role result via other field", e + "  - {at: 1h, do: role, role: broker, set: {token_max_ttl: 1h}} #!\n", "events[0].set.token_ttl", "(24h > 1h)"},
		{"role non-duration", e + "  - {at: 1h, do: role, role: broker, set: {token_type: batch}} #!\n", "events[0].set.token_type", "cannot be changed by an event"},
		{"role other kind key", e + "  - {at: 1h, do: role, role: app-db, set: {token_ttl: 1h}} #!\n", "events[0].set.token_ttl", "is a key of auth roles"},
		{"role token_ttl on token role", e + "  - {at: 1h, do: role, role: tok, set: {token_ttl: 1h}} #!\n", "events[0].set.token_ttl", "token roles do not accept 'token_ttl'"},
		{"outage until missing", e + "  - {at: 1h, do: outage} #!\n", "events[0].until", "required by do: outage"},
		{"outage until before at", e + "  - {at: 2h, do: outage, until: 1h} #!\n", "events[0].until", "'until' must be later than 'at'"},
		{"outage until equal at", e + "  - {at: 2h, do: outage, until: 7200} #!\n", "events[0].until", "'until' must be later than 'at'"},
		{"outage until after horizon", e + "  - {at: 2h, do: outage, until: 41d} #!\n", "events[0].until", "beyond the horizon"},
	})
}

func TestParse_AnnotationsExpect(t *testing.T) {
	runGood(t, []goodCase{
		{"annotations", head + "annotations:\n  - {at: 1h, label: error rates rise}\n  - at: 2024-01-02T00:00:00Z\n    label: recovered\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, []Annotation{{Line: 7, At: 3600, Label: "error rates rise"}, {Line: 8, At: 86400, Label: "recovered"}}, sc.Annotations)
		}},
		{"expect", head + "expect:\n  no_cascade_larger_than: 0\n  no_outage: true\n  max_failed_requests: 2.5\n  no_system_default_max: false\n  min_reauth_margin: 24h\n", func(t *testing.T, sc *Scenario) {
			x := sc.Expect
			require.NotNil(t, x)
			assert.Equal(t, 6, x.Line)
			assert.Equal(t, 0, *x.NoCascadeLargerThan)
			assert.True(t, *x.NoOutage)
			assert.InDelta(t, 2.5, *x.MaxFailedRequests, 0)
			assert.False(t, *x.NoSystemDefaultMax)
			assert.Equal(t, 24*model.Hour, *x.MinReauthMargin)
		}},
		{"expect partial", head + "expect: {max_failed_requests: 0}\n", func(t *testing.T, sc *Scenario) {
			assert.Nil(t, sc.Expect.NoOutage)
			assert.Nil(t, sc.Expect.NoCascadeLargerThan)
			require.NotNil(t, sc.Expect.MaxFailedRequests)
		}},
	})
	runBad(t, []badCase{
		{"label missing", head + "annotations:\n  - {at: 1h} #!\n", "annotations[0].label", "required"},
		{"label empty", head + "annotations:\n  - {at: 1h, label: \"  \"} #!\n", "annotations[0].label", "must not be empty"},
		{"label number", head + "annotations:\n  - {at: 1h, label: 42} #!\n", "annotations[0].label", "quote it"},
		{"at missing", head + "annotations:\n  - {label: x} #!\n", "annotations[0].at", "required"},
		{"annotation key", head + "annotations:\n  - {at: 1h, label: x, labl: y} #!\n", "annotations[0].labl", "did you mean 'label'"},
		{"cascade negative", head + "expect:\n  no_cascade_larger_than: -1 #!\n", "expect.no_cascade_larger_than", "out of range"},
		{"cascade float", head + "expect:\n  no_cascade_larger_than: 1.5 #!\n", "expect.no_cascade_larger_than", "expected an integer"},
		{"no_outage yes", head + "expect:\n  no_outage: yes #!\n", "expect.no_outage", "expected true or false"},
		{"failed negative", head + "expect:\n  max_failed_requests: -1 #!\n", "expect.max_failed_requests", "negative"},
		{"failed string", head + "expect:\n  max_failed_requests: none #!\n", "expect.max_failed_requests", "expected a number of requests"},
		{"system default max", head + "expect:\n  no_system_default_max: 1 #!\n", "expect.no_system_default_max", "expected true or false"},
		{"margin", head + "expect:\n  min_reauth_margin: a day #!\n", "expect.min_reauth_margin", "invalid duration"},
		{"expect key", head + "expect:\n  no_outages: true #!\n", "expect.no_outages", "did you mean 'no_outage'"},
	})
}

func TestParse_Robustness(t *testing.T) {
	for _, c := range []struct {
		name, src, phrase string
		line              int
	}{
		{"empty", "", "empty file", 1},
		{"comment only", "# nothing\n", "empty file", 1},
		{"empty document", "---\n", "empty document", 1},
		{"null document", "~\n", "empty document", 1},
		{"top-level list", "- a\n", "expected a mapping (the scenario's top-level keys), got a list", 1},
		{"top-level scalar", "hello\n", "expected a mapping", 1},
		{"syntax error", head + "roles: [a\n", "invalid YAML", 6},
		{"bad indentation", head + "backend:\n  mounts:\n    a: {}\n   b: {}\n", "invalid YAML: did not find expected key", 7},
		{"syntax on line 1", "a: b: c\n", "invalid YAML: mapping values are not allowed", 1},
		{"tab", "\tname: x\n", "invalid YAML", 1},
		{"multi-document", head + "---\n" + head, "one YAML document", 6},
		{"anchor", head + "backend: &b {}\n", "anchors (&b) are not supported", 6},
		{"alias", head + "roles:\n  a: &r {mount: auth/token}\n  b: *r\n", "aliases (*r) are not supported", 8},
		{"complex key", head + "? [a]\n: b\n", "keys must be plain strings", 6},
		{"custom tag", header("name", "!foo t"), "expected a name, got a value tagged !foo", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc, err := Parse("s.yaml", []byte(c.src))
			require.Error(t, err)
			assert.Nil(t, sc)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve))
			var found bool
			for _, p := range ve.Problems {
				if strings.Contains(p.Msg, c.phrase) {
					found = true
					assert.Equal(t, c.line, p.Line, "%s", p)
				}
			}
			assert.True(t, found, "no problem contains %q:\n%s", c.phrase, err)
		})
	}
}

// TestParse_AliasBomb checks that a billion-laughs file is refused quickly
// and without expanding it.
func TestParse_AliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "annotations:\n  - &a0 {at: 1h, label: x}\n")
	prev := "a0"
	for i := 1; i < 40; i++ {
		name := "a" + strings.Repeat("x", i)
		b.WriteString("  - &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n")
		prev = name
	}
	start := time.Now()
	_, err := Parse("s.yaml", []byte(b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aliases")
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestParse_DeepNesting(t *testing.T) {
	src := head + "roles: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"
	_, err := Parse("s.yaml", []byte(src))
	require.Error(t, err)
}

// TestParse_FourProblems is the acceptance case of the brief: one file
// with a misspelt key, a negative TTL, token_ttl > token_max_ttl and a
// batch token request with a period yields exactly those four problems.
func TestParse_FourProblems(t *testing.T) {
	src := header() + `backend:
  mounts:
    auth/approle: {}
roles:
  broker:
    mount: auth/approle
    token_ttl: 48h
    token_max_ttl: 24h
    token_explicit_max_ttl: -5m
actors:
  a:
    replica: 2
    token: {type: batch, period: 1h}
`
	_, err := Parse("s.yaml", []byte(src))
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "error %v", err)
	require.Len(t, ve.Problems, 4, "%s", err)
	want := []struct {
		line   int
		field  string
		phrase string
	}{
		{12, "roles.broker.token_ttl", "'token_ttl' cannot be greater than 'token_max_ttl' (48h > 24h)"},
		{14, "roles.broker.token_explicit_max_ttl", "negative duration \"-5m\""},
		{17, "actors.a.replica", "did you mean 'replicas'"},
		{18, "actors.a.token.period", `batch tokens cannot have "period" set`},
	}
	for i, w := range want {
		p := ve.Problems[i]
		assert.Equal(t, w.line, p.Line, "%s", p)
		assert.Equal(t, w.field, p.Field, "%s", p)
		assert.Contains(t, p.Msg, w.phrase)
	}
	assert.Equal(t, "s.yaml:12:5: roles.broker.token_ttl: 'token_ttl' cannot be greater than 'token_max_ttl' (48h > 24h)",
		strings.Split(err.Error(), "\n")[0])
}

// TestParse_KeepsGoing checks that problems in every section are all
// reported, sorted by line and column.
func TestParse_KeepsGoing(t *testing.T) {
	src := header("name", "Bad") + `backend:
  mounts:
    database/: {}
roles:
  r: {mount: database, token_ttl: 1h}
actors:
  a: {login: r, demand: 5/week}
events:
  - {at: 100d, do: deploy}
expect:
  no_outage: maybe
`
	_, err := Parse("s.yaml", []byte(src))
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.Field)
	}
	assert.Equal(t, []string{
		"name",
		"backend.mounts.database/",
		"roles.r.token_ttl",
		"actors.a.login",
		"actors.a.demand",
		"events[0].at",
		"expect.no_outage",
	}, got, "%s", err)
	for i := 1; i < len(ve.Problems); i++ {
		a, b := ve.Problems[i-1], ve.Problems[i]
		assert.True(t, a.Line < b.Line || (a.Line == b.Line && a.Column <= b.Column), "not sorted: %s / %s", a, b)
	}
}

func TestProblem_String(t *testing.T) {
	assert.Equal(t, "f.yaml:3:7: roles.x: bad", Problem{File: "f.yaml", Line: 3, Column: 7, Field: "roles.x", Msg: "bad"}.String())
	assert.Equal(t, "f.yaml:3: invalid YAML: x", Problem{File: "f.yaml", Line: 3, Msg: "invalid YAML: x"}.String())
	assert.Equal(t, "f.yaml: x", Problem{File: "f.yaml", Msg: "x"}.String())
	e := &ValidationError{Problems: []Problem{{File: "a", Line: 1, Column: 1, Msg: "x"}, {File: "a", Line: 2, Column: 1, Field: "f", Msg: "y"}}}
	assert.Equal(t, "a:1:1: x\na:2:1: f: y", e.Error())
}

func TestSuggest(t *testing.T) {
	keys := []string{"token_ttl", "token_max_ttl", "token_period"}
	assert.Equal(t, "token_ttl", suggest("token_tll", keys))
	assert.Equal(t, "token_ttl", suggest("Token_TTL", keys))
	assert.Equal(t, "", suggest("ttl", keys), "too far")
	assert.Equal(t, "", suggest("ab", []string{"ax", "ay"}), "ambiguous")
	assert.Equal(t, 3, editDistance("kitten", "sitting"))
}

func TestParse_Deterministic(t *testing.T) {
	src := header("name", "Bad") + "roles:\n  a: {mount: x, token_ttl: -1}\n  b: {mount: auth/token, token_ttl: 1h, period: 1h, token_period: 1h}\n"
	_, e1 := Parse("s.yaml", []byte(src))
	_, e2 := Parse("s.yaml", []byte(src))
	require.Error(t, e1)
	assert.Equal(t, e1.Error(), e2.Error())
}
