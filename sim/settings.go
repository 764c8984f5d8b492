package sim

import (
	"strings"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Setting is where a layer's value is set: the scenario path that
// `--set` changes (the same paths in run, explain, check, compare and
// sweep) and the Vault API call that sets it on a live server. Every
// output that names a binding layer gets both from LayerSetting, so a
// finding can be pasted into `compare --set` or `vault write`.
type Setting struct {
	Path     string // scenario path, e.g. roles.broker.token_max_ttl; "" when no setting decides it
	Endpoint string // Vault API path, e.g. auth/approle/role/broker; "" when set in the server's config file
	Param    string // the parameter at Endpoint, e.g. token_max_ttl
}

// SetArg renders the --set flag that changes the layer to v.
func (s Setting) SetArg(v string) string {
	if s.Path == "" {
		return ""
	}
	return "--set " + s.Path + "=" + v
}

// Vault renders the Vault call that sets the layer to v, or the server
// configuration line for the system values, which no API call changes.
func (s Setting) Vault(v string) string {
	switch {
	case s.Param == "":
		return ""
	case s.Endpoint == "":
		return s.Param + ` = "` + v + `" in the server's configuration file`
	}
	return "vault write " + s.Endpoint + " " + s.Param + "=" + v
}

// LayerSetting maps a layer of an entity of actor to its Setting: the
// request layers are the actor's token: or child_token: request. Layers
// no setting decides (ancestor, increment, batch token…) map to the zero
// Setting.
func LayerSetting(s *scenarios.Scenario, l model.Layer, actor string) Setting {
	var request, endpoint string
	for i := range s.Actors {
		a := &s.Actors[i]
		switch {
		case a.Name != actor:
		case a.Token != nil:
			request, endpoint = "token", RequestEndpoint(a.Token)
		case a.ChildToken != nil:
			request, endpoint = "child_token", RequestEndpoint(a.ChildToken)
		}
	}
	return layerSetting(s, l, actor, request, endpoint)
}

// RequestEndpoint is the token-store path a token request is made to.
func RequestEndpoint(r *scenarios.TokenRequest) string {
	switch {
	case r.RoleName != "":
		return "auth/token/create/" + r.RoleName
	case r.Request.NoParent:
		return "auth/token/create-orphan"
	}
	return "auth/token/create"
}

// layerSetting maps a layer to its Setting. actor and request locate the
// request layers: the actor whose token request it is and its key there
// ("token" or "child_token"); endpoint is the request's API path.
func layerSetting(s *scenarios.Scenario, l model.Layer, actor, request, endpoint string) Setting {
	switch l.Kind {
	case model.LayerSystemDefault:
		return Setting{Path: "backend.default_lease_ttl", Param: "default_lease_ttl"}
	case model.LayerSystemMax:
		return Setting{Path: "backend.max_lease_ttl", Param: "max_lease_ttl"}
	case model.LayerMountDefault, model.LayerMountMax:
		param := "default_lease_ttl"
		if l.Kind == model.LayerMountMax {
			param = "max_lease_ttl"
		}
		return Setting{Path: scenarios.PathOf("backend", "mounts", l.Name, param), Endpoint: tuneEndpoint(l.Name), Param: param}
	case model.LayerRoleTokenTTL, model.LayerRoleTokenMaxTTL, model.LayerRoleTokenExplicitMaxTTL,
		model.LayerRoleTokenPeriod, model.LayerRoleDefaultTTL, model.LayerRoleMaxTTL:
		param := roleParam[l.Kind]
		return Setting{Path: scenarios.PathOf("roles", l.Name, param), Endpoint: roleEndpoint(s, l.Name), Param: param}
	case model.LayerRequestTTL, model.LayerRequestExplicitMaxTTL, model.LayerRequestPeriod:
		if actor == "" || request == "" {
			return Setting{}
		}
		param := map[model.LayerKind]string{model.LayerRequestTTL: "ttl", model.LayerRequestExplicitMaxTTL: "explicit_max_ttl", model.LayerRequestPeriod: "period"}[l.Kind]
		return Setting{Path: scenarios.PathOf("actors", actor, request, param), Endpoint: endpoint, Param: param}
	}
	return Setting{}
}

var roleParam = map[model.LayerKind]string{
	model.LayerRoleTokenTTL:            "token_ttl",
	model.LayerRoleTokenMaxTTL:         "token_max_ttl",
	model.LayerRoleTokenExplicitMaxTTL: "token_explicit_max_ttl",
	model.LayerRoleTokenPeriod:         "token_period",
	model.LayerRoleDefaultTTL:          "default_ttl",
	model.LayerRoleMaxTTL:              "max_ttl",
}

// tuneEndpoint is where Vault tunes a mount: sys/auth/PATH/tune for auth
// mounts, sys/mounts/PATH/tune for secrets mounts.
func tuneEndpoint(mount string) string {
	if rest, ok := strings.CutPrefix(mount, "auth/"); ok {
		return "sys/auth/" + rest + "/tune"
	}
	return "sys/mounts/" + mount + "/tune"
}

// roleEndpoint is a role's API path: auth/token/roles/NAME on the token
// store, MOUNT/role/NAME on other auth mounts (AppRole, Kubernetes, JWT),
// MOUNT/roles/NAME on secrets mounts (database and the like).
func roleEndpoint(s *scenarios.Scenario, name string) string {
	mount := ""
	if s != nil {
		for _, r := range s.Roles {
			if r.Name == name {
				mount = r.Mount
			}
		}
	}
	switch {
	case mount == model.TokenMountPath:
		return mount + "/roles/" + name
	case strings.HasPrefix(mount, "auth/"):
		return mount + "/role/" + name
	case mount == "":
		return "…/role/" + name
	}
	return mount + "/roles/" + name
}

// Setting is where the layer l of this entity is set.
func (e *Explanation) Setting(s *scenarios.Scenario, l model.Layer) Setting {
	return LayerSetting(s, l, e.Actor)
}
