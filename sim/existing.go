package sim

import (
	"fmt"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// adopt builds the lifetime state of a live token an actor holds at start
// (an imported lookup): issued as the actor's login or token request says,
// with the observed issue time, last granted TTL and expiry. Its grant is
// the ceiling a renewal would see now (model.Ceiling), so its hard end and
// the layer that sets it come from the same rules as for tokens created in
// the run. note is non-empty when the lookup disagrees with the model: an
// expiry after the hard end means the configuration changed since issue,
// or the model is wrong, and either is worth knowing.
func (b *Backend) adopt(a *scenarios.Actor) (tok model.Token, note string, err error) {
	x := a.Existing
	tok = model.Token{
		IssueTime: x.IssueTime, TTL: x.TTL, ExpireTime: x.ExpireTime,
		Renewable: x.Renewable, NumUses: x.NumUses,
	}
	roles := model.RenewRoles{}
	switch {
	case a.Login != "":
		r := b.AuthRole(a.Login)
		roles.Auth = r
		tok.Origin, tok.Mount, tok.Role, tok.Orphan, tok.Type = model.FromLogin, r.Mount, r.Name, true, r.TokenType
		tok.ExplicitMax = model.Setting{Value: x.ExplicitMaxTTL, Layer: model.Layer{Kind: model.LayerRoleTokenExplicitMaxTTL, Name: r.Name}}
		tok.Period = model.Setting{Value: x.Period, Layer: model.Layer{Kind: model.LayerRoleTokenPeriod, Name: r.Name}}
	case a.Token != nil:
		req := a.Token.Request
		tok.Origin, tok.Mount, tok.Type, tok.Orphan = model.FromTokenStore, model.TokenMountPath, req.Type, req.NoParent
		if a.Token.RoleName != "" {
			r := b.TokenRole(a.Token.RoleName)
			roles.Token = r
			tok.Role = r.Name
			tok.Orphan = tok.Orphan || r.Orphan
		}
		tok.ExplicitMax = model.Setting{Value: x.ExplicitMaxTTL, Layer: model.Layer{Kind: model.LayerRequestExplicitMaxTTL}}
		tok.Period = model.Setting{Value: x.Period, Layer: model.Layer{Kind: model.LayerRequestPeriod}}
	default:
		return tok, "", fmt.Errorf("existing needs login or token")
	}
	if !tok.ExplicitMax.Set() {
		tok.ExplicitMax = model.Setting{}
	}
	if !tok.Period.Set() {
		tok.Period = model.Setting{}
	}
	g, cerr := model.Ceiling(&tok, b.View(tok.Mount), roles, 0)
	switch {
	case cerr != nil:
		// Past its ceiling under today's values: it lives to its expiry and
		// cannot renew.
		g = model.Grant{TTL: x.ExpireTime.Sub(0), TTLBy: model.Layer{Kind: model.LayerPreviousTTL},
			HasHardEnd: true, HardEnd: x.ExpireTime, HardEndBy: model.Layer{Kind: model.LayerPreviousTTL}}
		note = fmt.Sprintf("%s: its next renewal would fail (%v) under today's settings; it ends at its observed expiry %s",
			a.Name, cerr, FormatOffset(x.ExpireTime))
	case g.HasHardEnd && x.ExpireTime > g.HardEnd+1:
		note = fmt.Sprintf("%s: Vault reports expire_time %s, after the hard end the model computes (%s, %s): the configuration changed since issue, or the model is wrong",
			a.Name, FormatOffset(x.ExpireTime), FormatOffset(g.HardEnd), g.HardEndBy)
	}
	g.TTL, g.TTLBy = x.TTL, model.Layer{Kind: model.LayerPreviousTTL}
	g.Warnings = model.Warnings{}
	tok.Grant = g
	return tok, note, nil
}
