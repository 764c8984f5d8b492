package sim

import (
	"errors"
	"strings"
	"testing"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Every layer explain prints with a --set path is changed by that path:
// pasting it into an override moves exactly that layer's value.
func TestLayerSettingPathChangesThatLayer(t *testing.T) {
	checked := 0
	for _, entry := range scenarios.List() {
		s, err := scenarios.Load(entry.Name)
		if err != nil {
			t.Fatal(err)
		}
		exps, err := Explain(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range exps {
			for _, l := range e.Layers {
				set := e.Setting(s, l.Layer)
				if set.Path == "" {
					t.Errorf("%s %s: layer %s has no --set path", entry.Name, e.ID, l.Layer)
					continue
				}
				// A short default and a long max keep the server valid.
				value, want := "7m", 7*model.Minute
				if isMaxKind(l.Layer.Kind) {
					value, want = "7777h", 7777*model.Hour
				}
				changed, err := scenarios.LoadWithOverrides(entry.Name, []scenarios.Override{{Path: set.Path, Value: value}})
				if err != nil {
					t.Errorf("%s %s: %s: %v", entry.Name, e.ID, set.SetArg(value), err)
					continue
				}
				after, err := Explain(changed)
				var ve *scenarios.ValidationError
				if errors.As(err, &ve) && strings.Contains(err.Error(), "privileges required") {
					continue // a child token's period needs sudo: the path reached the field
				}
				if err != nil {
					t.Errorf("%s %s: %s: %v", entry.Name, e.ID, set.SetArg(value), err)
					continue
				}
				got, ok := layerOf(after, e.ID, l.Layer)
				if !ok || !got.Set || got.Value != want {
					t.Errorf("%s %s: %s left layer %s at %+v", entry.Name, e.ID, set.SetArg(value), l.Layer, got)
				}
				checked++
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked only %d layers", checked)
	}
}

func layerOf(exps []Explanation, id string, layer model.Layer) (LayerValue, bool) {
	for _, e := range exps {
		if e.ID != id {
			continue
		}
		for _, l := range e.Layers {
			if l.Layer == layer {
				return l, true
			}
		}
	}
	return LayerValue{}, false
}

func TestLayerSettingVaultCalls(t *testing.T) {
	s := &scenarios.Scenario{Roles: []scenarios.Role{{Name: "broker", Mount: "auth/approle"}, {Name: "app-db", Mount: "database"}, {Name: "ci", Mount: "auth/token"}}}
	for _, tc := range []struct {
		layer      model.Layer
		set, vault string
	}{
		{model.Layer{Kind: model.LayerRoleTokenMaxTTL, Name: "broker"}, "--set roles.broker.token_max_ttl=168h", "vault write auth/approle/role/broker token_max_ttl=168h"},
		{model.Layer{Kind: model.LayerRoleMaxTTL, Name: "app-db"}, "--set roles.app-db.max_ttl=168h", "vault write database/roles/app-db max_ttl=168h"},
		{model.Layer{Kind: model.LayerRoleTokenExplicitMaxTTL, Name: "ci"}, "--set roles.ci.token_explicit_max_ttl=168h", "vault write auth/token/roles/ci token_explicit_max_ttl=168h"},
		{model.Layer{Kind: model.LayerMountMax, Name: "database"}, "--set backend.mounts.database.max_lease_ttl=168h", "vault write sys/mounts/database/tune max_lease_ttl=168h"},
		{model.Layer{Kind: model.LayerMountDefault, Name: "auth/approle"}, "--set backend.mounts.auth/approle.default_lease_ttl=168h", "vault write sys/auth/approle/tune default_lease_ttl=168h"},
		{model.Layer{Kind: model.LayerMountMax, Name: "kv.v2"}, `--set backend.mounts."kv.v2".max_lease_ttl=168h`, "vault write sys/mounts/kv.v2/tune max_lease_ttl=168h"},
		{model.Layer{Kind: model.LayerSystemMax}, "--set backend.max_lease_ttl=168h", `max_lease_ttl = "168h" in the server's configuration file`},
		{model.Layer{Kind: model.LayerRequestExplicitMaxTTL}, "--set actors.core-api.child_token.explicit_max_ttl=168h", "vault write auth/token/create explicit_max_ttl=168h"},
		{model.Layer{Kind: model.LayerAncestor, Name: "broker#1"}, "", ""},
	} {
		set := layerSetting(s, tc.layer, "core-api", "child_token", "auth/token/create")
		if got := set.SetArg("168h"); got != tc.set {
			t.Errorf("%s: set %q, want %q", tc.layer, got, tc.set)
		}
		if got := set.Vault("168h"); got != tc.vault {
			t.Errorf("%s: vault %q, want %q", tc.layer, got, tc.vault)
		}
	}
}
