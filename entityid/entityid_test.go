package entityid

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  ID
		group string
	}{
		{"broker", ID{Actor: "broker"}, "broker"},
		{"broker#1", ID{Actor: "broker", Gen: 1}, "broker"},
		{"core-api.credential", ID{Actor: "core-api", Sub: "credential"}, "core-api.credential"},
		{"core-api[3].credential#1", ID{Actor: "core-api", Replica: 3, Sub: "credential", Gen: 1}, "core-api.credential"},
		{"core-api[3].cred#5", ID{Actor: "core-api", Replica: 3, Sub: "credential", Gen: 5}, "core-api.credential"},
		{"core-api[12].token#2", ID{Actor: "core-api", Replica: 12, Sub: "token", Gen: 2}, "core-api.token"},
		{"svc.token#3", ID{Actor: "svc", Sub: "token", Gen: 3}, "svc.token"},
		{"core-api[3]", ID{Actor: "core-api", Replica: 3}, "core-api"},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want || got.Group() != tc.group {
			t.Errorf("Parse(%q) = %+v (group %q), %v; want %+v, %q", tc.in, got, got.Group(), err, tc.want, tc.group)
		}
	}
	for _, bad := range []string{"", "#1", "broker#0", "broker#x", "api[x].credential#1", "api[1].key#1", "api1]#1", "[1].token", "a.b.token"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}

func TestFind(t *testing.T) {
	have := []string{"broker#1", "broker#2", "core-api[1].token#1", "core-api[1].credential#1", "core-api[3].credential#1", "core-api[3].credential#2"}
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"broker", "broker#1 broker#2"},
		{"broker#2", "broker#2"},
		{"core-api.credential", "core-api[1].credential#1 core-api[3].credential#1 core-api[3].credential#2"},
		{"core-api[3].credential#1", "core-api[3].credential#1"},
		{"core-api[3].credential", "core-api[3].credential#1 core-api[3].credential#2"},
		{"core-api[3].cred#2", "core-api[3].credential#2"},
	} {
		got, err := Find(tc.query, have)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("Find(%q) = %v, %v; want %s", tc.query, got, err, tc.want)
		}
	}
	_, err := Find("core-api.credentail", have)
	if err == nil {
		t.Fatal("a misspelt entity matched")
	}
	_, err = Find("core-api.token#2", have)
	if err == nil || !strings.Contains(err.Error(), "there are: broker, core-api.token, core-api.credential") {
		t.Errorf("error %v does not list the groups", err)
	}
	_, err = Find("brokr", have)
	if err == nil || !strings.Contains(err.Error(), "did you mean broker?") {
		t.Errorf("error %v has no did-you-mean", err)
	}
}
