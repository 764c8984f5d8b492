package scenarios

import (
	"testing"
)

// Validation at the edges (issue 13 item 5): each input that used to
// overflow, saturate or slip into a chart is refused with the file, line,
// field and what would be valid.
func TestParse_Edges(t *testing.T) {
	a := head + "actors:\n"
	ex := func(issue, expire string) string {
		return head + world + "actors:\n  b:\n    login: broker\n    existing: {issue_time: \"" + issue + "\", expire_time: \"" + expire + "\", ttl: 1h} #!\n"
	}
	runBad(t, []badCase{
		// Demand: finite and at most MaxDemand, so failed requests cannot
		// overflow to +Inf.
		{"demand 1e308", a + "  a: {token: {}, demand: 1e308} #!\n", "actors.a.demand", "more than the 1e+09 leasesim can count"},
		{"demand 1e308/s", a + "  a: {token: {}, demand: 1e308/s} #!\n", "actors.a.demand", "more than the 1e+09"},
		{"demand just over", a + "  a: {token: {}, demand: 3600000000001/h} #!\n", "actors.a.demand", "more than the 1e+09"},
		// Durations: one maximum, 106751d, in every form.
		{"horizon 2562048h", header("horizon", "2562048h #!"), "horizon", "too long; at most 2562024h (106751d"},
		{"horizon 10000000d", header("horizon", "10000000d #!"), "horizon", "too long; at most 2562024h (106751d"},
		{"ttl in seconds", head + "roles:\n  r: {mount: auth/token, explicit_max_ttl: 9223372036854775807} #!\n", "roles.r.explicit_max_ttl", "too long"},
		// Times: an error, not a saturation at ±292 years.
		{"existing issued in year 1", ex("0001-01-01T00:00:00Z", "2024-01-02T00:00:00Z"), "actors.b.existing.issue_time", "more than 106751d (about 292 years) from start"},
		{"existing expiring in 9999", ex("2023-12-01T00:00:00Z", "9999-01-01T00:00:00Z"), "actors.b.existing.expire_time", "more than 106751d"},
		// Text shown on charts and terminals: no control characters.
		{"NUL in label", head + "annotations:\n  - {at: 1h, label: \"a\\0b\"} #!\n", "annotations[0].label", "control character U+0000"},
		{"escape in label", head + "annotations:\n  - {at: 1h, label: \"red \\e[31m\"} #!\n", "annotations[0].label", "control character U+001B"},
		{"C1 in label", head + "annotations:\n  - {at: 1h, label: \"x\\x85y\"} #!\n", "annotations[0].label", "control character U+0085"},
		{"NUL in description", header("description", "\"a\\0b\" #!"), "description", "control character U+0000"},
	})
	runGood(t, []goodCase{
		{"demand at the bound", a + "  a: {token: {}, demand: 1e9}\n", nil},
		{"horizon 100 years", header("horizon", "36525d"), nil},
		{"label with tab and unicode", head + "annotations:\n  - {at: 1h, label: \"cliff\\t→ día 32\"}\n", nil},
		{"existing times unquoted", head + world + "actors:\n  b:\n    login: broker\n    existing: {issue_time: 2023-12-01T00:00:00Z, expire_time: 2024-01-02T00:00:00Z, ttl: 1h}\n", nil},
		{"existing issued 200 years ago", head + world + "actors:\n  b:\n    login: broker\n    existing: {issue_time: \"1824-01-01T00:00:00Z\", expire_time: \"2024-01-02T00:00:00Z\", ttl: 1h}\n", nil},
	})
}
