package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// EntityKind names the kinds of entity a scenario defines.
type EntityKind string

// Entity kinds.
const (
	KindToken      EntityKind = "token"       // an actor's own token: a login or a token-store create
	KindChildToken EntityKind = "child-token" // a per-replica child of another actor's token
	KindLease      EntityKind = "lease"       // a dynamic credential
)

// Binding says what a layer decided for an entity.
const (
	BindsTTL     = "ttl"        // set the granted TTL
	BindsMax     = "max"        // set the lifetime ceiling (the hard end)
	BindsTTLMax  = "ttl,max"    // both
	BindsEnd     = "end"        // an ancestor ends it before its own hard end
	BindsPeriod  = "period-cap" // capped the period of a periodic token
	BindsNothing = ""
)

// LayerValue is one layer's value for an entity, and what it decided.
type LayerValue struct {
	Layer   model.Layer
	Value   model.Duration // 0 when unset
	Set     bool
	Binding string
	Note    string // why it binds or not: "unset", "larger than the effective max: ignored", …
}

// Explanation is the static lifetime analysis of one kind of entity: what
// a first issue at the actor's start yields, layer by layer.
type Explanation struct {
	ID        string
	Kind      EntityKind
	Actor     string
	Parent    string // the entity it is revoked with; "" for roots
	Replicas  int
	Origin    string // how it is issued, in Vault's terms
	Type      model.TokenType
	Orphan    bool
	Renewable bool

	IssuedAt model.Instant
	Grant    model.Grant // the grant at issue: TTL, max, ceiling, with their layers
	// Renewed: its holder renews it (its actor's renew or refresh policy).
	Renewed bool
	// Life is when it ends by its own layers, predicted from the same
	// renewal grants the run computes (model.PredictLife): the re-read of
	// roles at the first renewal (§4), the scripted changes, a
	// non-renewable token's single TTL, a lease's own cap.
	Life model.Life
	// Changes are the instants at which renewals start to read other
	// values, and the hard end they imply from then on.
	Changes []Change
	// Predicted is Life once ancestors are counted (§3.2, §6.1): when and
	// why `run` ends it. Effective is its end.
	Predicted model.Life
	Effective model.End
	// LaterParent: it is issued when its parent's first token may have
	// ended, so under a later token of the parent's actor.
	LaterParent bool
	Layers      []LayerValue
	Warnings    []string // the backend's warnings at issue
	// RoleWarnings are the backend's warnings when the roles it is issued
	// through were written (at the start or by a scripted role write).
	RoleWarnings []string
	Because      []string // sentences, for people
	Dependents   []string // entities revoked when this one ends
}

// AllWarnings are the backend's warnings at issue, then at its roles' writes.
func (e *Explanation) AllWarnings() []string {
	return append(append([]string(nil), e.Warnings...), e.RoleWarnings...)
}

// Explain computes, without simulating time, the lifetime of every kind of
// token and credential a scenario defines: each layer's value, which one
// binds the TTL and the hard end, the backend's warnings, and whether an
// ancestor ends it first. Problems the backend would refuse at issue (for
// example a child token asking for a period without sudo) are returned as
// a *scenarios.ValidationError naming the field.
func Explain(s *scenarios.Scenario) ([]Explanation, error) {
	x := explainer{s: s, tl: newTimeline(s), byID: map[string]int{}, tokenIDs: map[string]string{}, seen: map[string]bool{}, index: map[string]int{}}
	for i := range s.Actors {
		x.index[s.Actors[i].Name] = i
	}
	for i := range s.Actors {
		x.visit(&s.Actors[i])
	}
	if len(x.problems) > 0 {
		return nil, &scenarios.ValidationError{Problems: x.problems}
	}
	// Dependents: walk parents upwards, in entity order.
	for i := range x.out {
		for p := x.out[i].Parent; p != ""; p = x.out[x.byID[p]].Parent {
			j := x.byID[p]
			x.out[j].Dependents = append(x.out[j].Dependents, x.out[i].ID+replicas(x.out[i].Replicas))
		}
	}
	for i := range x.out {
		var chain []ancestorEnd
		for p := x.out[i].Parent; p != ""; p = x.out[x.byID[p]].Parent {
			pe := &x.out[x.byID[p]]
			chain = append(chain, ancestorEnd{p, pe.Effective, pe.Grant.TTLBy.Kind == model.LayerNonExpiringRoot})
		}
		x.out[i].Because = because(s, &x.out[i], chain)
		if x.out[i].Grant.TTLBy.Kind == model.LayerNonExpiringRoot {
			x.out[i].Because = slices.Insert(x.out[i].Because, 1, rootChildren(x.tl.backendAt(x.out[i].IssuedAt)))
		}
	}
	// Name each actor's client preset, and what it and the actor's own
	// keys came to, once: on the actor's first entity (docs/clients.md).
	named := map[string]bool{}
	for i := range x.out {
		a := &s.Actors[x.index[x.out[i].Actor]]
		if a.Client == "" || named[a.Name] {
			continue
		}
		named[a.Name] = true
		x.out[i].Because = append(x.out[i].Because, fmt.Sprintf("client preset %s (docs/clients.md), as set for this actor: %s", a.Client, scenarios.ClientSettings(a)))
	}
	return x.out, nil
}

// ancestorEnd is one token above an entity and the latest it can end.
type ancestorEnd struct {
	ID    string
	End   model.End
	Never bool // a non-expiring root token
}

// rootChildren says what bounds the children of a non-expiring root
// token: not their parent, which never ends (semantics.md §3.2, §6.4), but
// each one's own request and the token mount's max.
func rootChildren(b *Backend) string {
	v := b.View(model.TokenMountPath)
	return fmt.Sprintf("its children are not capped by it: each child token is bounded only by its own request and the token mount's max, %s (%s); it never revokes them by ending",
		v.Max.Value, v.Max.Layer)
}

// visit explains an actor after the actor whose token it uses (via), so
// that chains of any depth resolve whatever the file order.
func (x *explainer) visit(a *scenarios.Actor) {
	if x.seen[a.Name] {
		return
	}
	x.seen[a.Name] = true // the parser rejects cycles; this also stops one
	if i, ok := x.index[a.Via]; ok && a.Via != "" {
		x.visit(&x.s.Actors[i])
	}
	x.actor(a)
}

type explainer struct {
	s        *scenarios.Scenario
	tl       *timeline
	b        *Backend // as at the issue of the actor being explained
	out      []Explanation
	byID     map[string]int
	problems []scenarios.Problem
	tokens   map[string]model.Token // actor's own token, by actor name
	tokenIDs map[string]string      // the explanation ID of that token
	seen     map[string]bool        // actors visited
	index    map[string]int         // actor index by name
}

func (x *explainer) problem(line int, field string, err error) {
	x.problems = append(x.problems, scenarios.Problem{File: x.s.File, Line: line, Column: 1, Field: field, Msg: err.Error()})
}

func (x *explainer) add(e Explanation) {
	x.byID[e.ID] = len(x.out)
	x.out = append(x.out, e)
}

func (x *explainer) actor(a *scenarios.Actor) {
	if x.tokens == nil {
		x.tokens = map[string]model.Token{}
	}
	replicas := max(a.Replicas, 1)
	field := "actors." + a.Name
	var tokID string // the token that requests the actor's credentials
	var tok model.Token
	var tokEnd model.Life
	issued := a.StartAt
	if pid, ok := x.tokenIDs[a.Via]; ok && a.Via != "" {
		issued = max(issued, x.out[x.byID[pid]].IssuedAt)
	}
	x.b = x.tl.backendAt(issued) // scripted changes up to its issue are in force
	holder := tokenHolder(a.Renew)

	switch {
	case a.Existing != nil:
		t, note, err := x.b.adopt(a)
		if err != nil {
			x.problem(a.Existing.Line, field+".existing", err)
			return
		}
		tok, tokID = t, a.Name
		view := x.b.View(t.Mount)
		e := x.tokenExplanation(a.Name, KindToken, a.Name, "", replicas, t)
		if note != "" {
			e.Warnings = append(e.Warnings, "leasesim: "+note)
		}
		x.predictToken(&e, t, issued, holder, model.Life{})
		if a.Login != "" {
			role := x.b.AuthRole(a.Login)
			e.Origin = fmt.Sprintf("live token (accessor %s), a login to %s with role %s", orUnknown(a.Existing.Accessor), role.Mount, role.Name)
			e.Layers = loginLayers(x.b.System, view, role, &e)
		} else {
			e.Origin = fmt.Sprintf("live token (accessor %s), %s", orUnknown(a.Existing.Accessor), createOrigin(a.Token, "a token"))
			e.Layers = createLayers(x.b.System, view, a.Token, &e)
		}
		tokEnd = e.Predicted
		x.add(e)
	case a.Login != "":
		role := x.b.AuthRole(a.Login)
		if role == nil {
			return // the parser reports unknown roles
		}
		view := x.b.View(role.Mount)
		t, err := model.Login(view, *role, issued)
		if err != nil {
			x.problem(a.Line, field+".login", err)
			return
		}
		tok, tokID = t, a.Name
		e := x.tokenExplanation(a.Name, KindToken, a.Name, "", replicas, t)
		e.Origin = fmt.Sprintf("login to %s with role %s", role.Mount, role.Name)
		x.predictToken(&e, t, issued, holder, model.Life{})
		e.Layers = loginLayers(x.b.System, view, role, &e)
		tokEnd = e.Predicted
		x.add(e)
	case a.Token != nil:
		view := x.b.View(model.TokenMountPath)
		t, err := model.CreateToken(view, model.Caller{Root: true, Sudo: true}, x.request(a.Token), issued)
		if err != nil {
			x.problem(a.Token.Line, field+".token", err)
			return
		}
		tok, tokID = t, a.Name
		e := x.tokenExplanation(a.Name, KindToken, a.Name, "", replicas, t)
		e.Origin = createOrigin(a.Token, "the root token")
		x.predictToken(&e, t, issued, holder, model.Life{})
		e.Layers = createLayers(x.b.System, view, a.Token, &e)
		tokEnd = e.Predicted
		x.add(e)
	case a.Via != "":
		parent, ok := x.tokens[a.Via]
		if !ok {
			return // the via actor failed or does not exist; reported elsewhere
		}
		pid := x.tokenIDs[a.Via]
		pe := x.out[x.byID[pid]]
		tokID, tok, tokEnd = pid, parent, pe.Predicted
		if a.ChildToken != nil {
			view := x.b.View(model.TokenMountPath)
			t, err := model.CreateToken(view, callerOf(&parent, x.s.Actors[x.index[a.Via]].RootPolicy()), x.request(a.ChildToken), issued)
			if err != nil {
				x.problem(a.ChildToken.Line, field+".child_token", err)
				return
			}
			id := a.Name + ".token"
			par := pid
			if t.Orphan {
				par = ""
			}
			e := x.tokenExplanation(id, KindChildToken, a.Name, par, replicas, t)
			parentLife := model.Life{}
			if par != "" {
				parentLife = pe.Predicted
			}
			x.predictToken(&e, t, issued, holder, parentLife)
			e.Origin = createOrigin(a.ChildToken, "token of "+pid)
			e.Layers = createLayers(x.b.System, view, a.ChildToken, &e)
			x.add(e)
			tokID, tok, tokEnd = id, t, e.Predicted
		}
	default:
		return
	}
	if a.OwnToken() {
		x.tokens[a.Name], x.tokenIDs[a.Name] = tok, tokID
	}
	if a.Credential != "" {
		x.credential(a, replicas, issued, tokID, tok, tokEnd)
	}
}

func (x *explainer) request(r *scenarios.TokenRequest) model.TokenRequest {
	req := r.Request
	if r.RoleName != "" {
		req.Role = x.b.TokenRole(r.RoleName)
	}
	return req
}

func (x *explainer) tokenExplanation(id string, kind EntityKind, actor, parent string, replicas int, t model.Token) Explanation {
	return Explanation{
		ID: id, Kind: kind, Actor: actor, Parent: parent, Replicas: replicas,
		Type: t.Type, Orphan: t.Orphan, Renewable: t.Renewable,
		IssuedAt: t.IssueTime, Grant: t.Grant,
		Warnings: t.Grant.Warnings.Messages(),
	}
}

// predictToken fills in the predicted life of token t, obtained at from
// by a holder renewing it as h does, bounded by its parent's life.
func (x *explainer) predictToken(e *Explanation, t model.Token, from model.Instant, h model.Holder, parent model.Life) {
	e.Renewed = h.Renews && t.Renewable && t.Type != model.TokenBatch && !t.NoExpiry
	e.Life, e.Changes = x.tl.predictToken(t, from, h)
	x.bound(e, parent)
	if t.Role != "" {
		e.RoleWarnings = x.tl.roleWarnings(t.Role)
	}
}

// bound sets Predicted and Effective: Life within its parent's.
func (x *explainer) bound(e *Explanation, parent model.Life) {
	e.Predicted = e.Life
	switch {
	case e.Parent == "":
	case (parent.End.Set || !parent.Exact) && parent.Earliest <= e.IssuedAt:
		// Its parent's first token may be gone by the time it is issued:
		// it then runs under a later one, which ends whenever its holder
		// last re-authenticated. Only its own end is certain.
		e.LaterParent = true
		e.Predicted.Exact, e.Predicted.Earliest = false, e.IssuedAt
	default:
		e.Predicted = e.Life.Bounded(parent, e.Parent)
	}
	e.Effective = e.Predicted.End
}

func (x *explainer) credential(a *scenarios.Actor, replicas int, issued model.Instant, tokID string, tok model.Token, tokEnd model.Life) {
	role := x.b.SecretsRole(a.Credential)
	if role == nil {
		return
	}
	view := x.b.View(role.Mount)
	it := model.IssuingToken{ID: tokID, Type: tok.Type, Valid: true, Expire: tok.ExpireTime}
	if tok.NumUses > 0 {
		it.UsesLeft = tok.NumUses
	}
	l, err := model.IssueLease(view, *role, it, issued)
	if err != nil {
		x.problem(a.Line, "actors."+a.Name+".credential", err)
		return
	}
	// The lease is indexed on its token, or on a batch token's parent (§5.1).
	parent, parentEnd := tokID, tokEnd
	if tok.Type == model.TokenBatch {
		parent, parentEnd = "", model.Life{}
		if pe, ok := x.byID[tokID]; ok && x.out[pe].Parent != "" {
			parent = x.out[pe].Parent
			parentEnd = x.out[x.byID[parent]].Predicted
		}
	}
	h := leaseHolder(a.Refresh)
	e := Explanation{
		ID: a.Name + ".credential", Kind: KindLease, Actor: a.Name, Parent: parent, Replicas: replicas,
		Origin:    fmt.Sprintf("read %s/creds/%s with the token of %s", role.Mount, role.Name, tokID),
		Renewable: true, IssuedAt: l.IssueTime, Grant: l.Grant, Renewed: h.Renews,
		Warnings: l.Grant.Warnings.Messages(),
	}
	e.Life, e.Changes = x.tl.predictLease(l, role.Name, h)
	x.bound(&e, parentEnd)
	if tok.Type == model.TokenBatch && (tokEnd.End.Set || !tokEnd.Exact) && tokEnd.Earliest <= issued {
		// Read with a later batch token than the first, whose expiry
		// clamps it (§5.1): when is not known here.
		e.LaterParent = true
		e.Life = model.Life{Earliest: issued}
		e.Predicted, e.Effective, e.Changes = e.Life, model.End{}, nil
	}
	e.Layers = leaseLayers(x.b.System, view, role, &e)
	x.add(e)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func createOrigin(r *scenarios.TokenRequest, by string) string {
	return RequestEndpoint(r) + " by " + by
}

// mountLayers lists the server and mount layers every entity starts from.
func mountLayers(sys model.System, view model.MountView) []LayerValue {
	def, max := view.Default, view.Max
	ls := []LayerValue{
		{Layer: model.Layer{Kind: model.LayerSystemDefault}, Value: orSystem(sys.DefaultLeaseTTL), Set: true},
		{Layer: model.Layer{Kind: model.LayerSystemMax}, Value: orSystem(sys.MaxLeaseTTL), Set: true},
		{Layer: model.Layer{Kind: model.LayerMountDefault, Name: view.Path}},
		{Layer: model.Layer{Kind: model.LayerMountMax, Name: view.Path}},
	}
	if def.Layer.Kind == model.LayerMountDefault {
		ls[2].Value, ls[2].Set = def.Value, true
		ls[0].Note = "replaced by the mount's default_lease_ttl"
	} else {
		ls[2].Note = "untuned: the system value applies"
	}
	if max.Layer.Kind == model.LayerMountMax {
		ls[3].Value, ls[3].Set = max.Value, true
		ls[1].Note = "replaced by the mount's max_lease_ttl"
	} else {
		ls[3].Note = "untuned: the system value applies"
	}
	return ls
}

func orSystem(d model.Duration) model.Duration {
	if d <= 0 {
		return model.DefaultSystemTTL
	}
	return d
}

func role(kind model.LayerKind, name string, v model.Duration) LayerValue {
	return LayerValue{Layer: model.Layer{Kind: kind, Name: name}, Value: v, Set: v > 0}
}

func loginLayers(sys model.System, view model.MountView, r *model.AuthRole, e *Explanation) []LayerValue {
	ls := append(mountLayers(sys, view),
		role(model.LayerRoleTokenTTL, r.Name, r.TokenTTL),
		role(model.LayerRoleTokenMaxTTL, r.Name, r.TokenMaxTTL),
		role(model.LayerRoleTokenExplicitMaxTTL, r.Name, r.TokenExplicitMaxTTL),
		role(model.LayerRoleTokenPeriod, r.Name, r.TokenPeriod),
	)
	return annotate(ls, e)
}

func createLayers(sys model.System, view model.MountView, r *scenarios.TokenRequest, e *Explanation) []LayerValue {
	q := r.Request
	ls := append(mountLayers(sys, view),
		LayerValue{Layer: model.Layer{Kind: model.LayerRequestTTL}, Value: q.TTL, Set: q.TTL > 0},
		LayerValue{Layer: model.Layer{Kind: model.LayerRequestExplicitMaxTTL}, Value: q.ExplicitMaxTTL, Set: q.ExplicitMaxTTL > 0},
		LayerValue{Layer: model.Layer{Kind: model.LayerRequestPeriod}, Value: q.Period, Set: q.Period > 0},
	)
	if q.Role != nil {
		ls = append(ls,
			role(model.LayerRoleTokenExplicitMaxTTL, q.Role.Name, q.Role.TokenExplicitMaxTTL),
			role(model.LayerRoleTokenPeriod, q.Role.Name, q.Role.TokenPeriod))
	}
	return annotate(ls, e)
}

func leaseLayers(sys model.System, view model.MountView, r *model.SecretsRole, e *Explanation) []LayerValue {
	ls := append(mountLayers(sys, view),
		role(model.LayerRoleDefaultTTL, r.Name, r.DefaultTTL),
		role(model.LayerRoleMaxTTL, r.Name, r.MaxTTL),
	)
	return annotate(ls, e)
}

// annotate marks what each layer decided, and why the others did not.
// The TTL is the grant at issue; the end is the predicted one (e.Life),
// so "binds max" names the layer that ends it in the run. A note claims
// equality or binding only when it holds: it names the binding layer and
// its value, which sim/explain_notes_test.go checks.
func annotate(ls []LayerValue, e *Explanation) []LayerValue {
	g, life := e.Grant, e.Life
	endBy := model.Layer{}
	if life.End.Set && life.HardEnd {
		endBy = life.End.By
	}
	for i := range ls {
		l := &ls[i]
		ttl := l.Layer == g.TTLBy
		end := endBy.Kind != model.LayerNone && l.Layer == endBy
		switch {
		case ttl && end:
			l.Binding = BindsTTLMax
		case ttl:
			l.Binding = BindsTTL
		case end:
			l.Binding = BindsMax
		case !g.HasHardEnd && l.Layer == g.MaxBy && g.Warnings.PeriodCapped:
			l.Binding = BindsPeriod
		}
		if end && life.Exact && (!l.Set || l.Value != life.End.At.Sub(e.IssuedAt)) {
			l.Note = "by then set to " + life.End.At.Sub(e.IssuedAt).String() + " by a scripted change (see changes)"
		}
		if l.Note != "" || l.Binding != BindsNothing {
			continue
		}
		switch {
		case g.TTLBy.Kind == model.LayerNonExpiringRoot && l.Set:
			l.Note = "does not apply: a root-policy token with TTL 0 never expires (semantics.md §3.1)"
		case !l.Set && (l.Layer.Kind == model.LayerSystemDefault || l.Layer.Kind == model.LayerSystemMax):
		case !l.Set:
			l.Note = "unset"
		case isMaxKind(l.Layer.Kind):
			l.Note = maxNote(l, e, endBy)
		case l.Layer.Kind == model.LayerRequestTTL && g.TTLBy.Kind == model.LayerRequestPeriod,
			l.Layer.Kind == model.LayerRequestTTL && g.TTLBy.Kind == model.LayerRoleTokenPeriod:
			l.Note = "ignored: a periodic token's TTL is its period"
		}
	}
	return ls
}

// maxNote says why a set max layer does not end the entity.
func maxNote(l *LayerValue, e *Explanation, endBy model.Layer) string {
	life := e.Life
	switch {
	case !life.Exact:
		return ""
	case !life.End.Set:
		return "caps only the period: a periodic token without an explicit max has no hard end"
	case endBy.Kind == model.LayerNone && !e.Renewed:
		return "not reached: it is not renewed, so its first TTL ends it"
	case endBy.Kind == model.LayerNone:
		return "not reached: renewals are refused first and its last TTL ends it"
	}
	v := life.End.At.Sub(e.IssuedAt)
	switch {
	case l.Value == v:
		return fmt.Sprintf("equal to %s (%s), which binds", endBy, v)
	case l.Value > v:
		return fmt.Sprintf("larger than %s (%s), which binds: ignored (the backend does not warn)", endBy, v)
	case l.Layer.Kind == model.LayerRequestExplicitMaxTTL && e.Grant.HardEndBy.Kind != model.LayerRequestExplicitMaxTTL:
		return "not used: the token role's token_explicit_max_ttl is smaller"
	case l.Layer.Kind == model.LayerRequestExplicitMaxTTL:
		return "dropped at the first renewal: renewals read the token role's token_explicit_max_ttl instead (semantics.md §4)"
	case endBy.Kind == model.LayerRoleTokenExplicitMaxTTL || endBy.Kind == model.LayerRequestExplicitMaxTTL:
		return "caps only the period: a periodic token's lifetime is its explicit max"
	}
	return "not in force when it ends: see the changes"
}

func isMaxKind(k model.LayerKind) bool {
	switch k {
	case model.LayerSystemMax, model.LayerMountMax, model.LayerRoleTokenMaxTTL, model.LayerRoleTokenExplicitMaxTTL,
		model.LayerRoleMaxTTL, model.LayerRequestExplicitMaxTTL:
		return true
	}
	return false
}

// because explains the hard end in sentences.
func because(s *scenarios.Scenario, e *Explanation, chain []ancestorEnd) []string {
	var out []string
	g, life := e.Grant, e.Life
	switch {
	case g.TTLBy.Kind == model.LayerNonExpiringRoot:
		out = append(out, "never expires: a root-policy token with no TTL")
	case !e.Renewable || e.Type == model.TokenBatch:
		what := "it is not renewable"
		if e.Type == model.TokenBatch && e.Kind != KindLease {
			what = "a batch token cannot be renewed"
		}
		out = append(out, fmt.Sprintf("%s: it ends when its TTL runs out, at issue + %s (%s)", what, g.TTL, life.End.By))
	case e.LaterParent && !life.End.Set && !life.Exact:
		out = append(out, "it is read with a later batch token than the first, whose expiry clamps it (semantics.md §5.1): explain does not follow that token")
	case !e.Renewed:
		out = append(out, fmt.Sprintf("its holder does not renew it: it ends when its TTL runs out, at issue + %s (%s)", g.TTL, life.End.By))
	case !life.End.Set:
		out = append(out, fmt.Sprintf("no hard end of its own: a periodic token renews indefinitely, each renewal granting %s (%s)", g.TTL, g.TTLBy))
	case !life.HardEnd:
		out = append(out, fmt.Sprintf("renewals are refused from a change on (past the max TTL, cannot renew): it ends when its last TTL runs out, at %s (%s)",
			FormatOffset(life.End.At), life.End.By))
	default:
		dur := life.End.At.Sub(e.IssuedAt)
		sentence := fmt.Sprintf("hard end = issue + %s, set by %s", dur, life.End.By)
		if life.End.By.IsSystemDefault() {
			var unset []string
			for _, l := range e.Layers {
				if !l.Set && isMaxKind(l.Layer.Kind) && l.Layer.Kind != model.LayerSystemMax {
					if l.Layer.Kind == model.LayerMountMax {
						unset = append(unset, fmt.Sprintf("mount %s is untuned", l.Layer.Name))
						continue
					}
					unset = append(unset, l.Layer.String()+" is unset")
				}
			}
			origin := "configured on the server"
			if s.Backend.System.MaxLeaseTTL == 0 {
				origin = "the built-in default"
			}
			if len(unset) > 0 {
				sentence = fmt.Sprintf("hard end = issue + %s because %s, so system.max_lease_ttl (%s, %s) applies",
					dur, JoinAnd(unset), dur, origin)
			} else {
				sentence = fmt.Sprintf("hard end = issue + %s: system.max_lease_ttl (%s, %s) applies", dur, dur, origin)
			}
		}
		out = append(out, sentence)
		out = append(out, "renewing does not move it: the ceiling counts from the original issue time")
	}
	if e.LaterParent && life.End.Set {
		out = append(out, "it is issued when the first token above it may have ended: it then runs under a later one, and ends whenever that one does")
	}
	if !life.Exact && life.End.Set {
		out = append(out, fmt.Sprintf("when exactly depends on when its holder renews: between %s and %s",
			FormatOffset(life.Earliest), FormatOffset(life.End.At)))
	}
	if p := e.Predicted.End; p.Set && p.By.Kind == model.LayerAncestor {
		if e.Life.End.Set && e.Life.End.At == p.At {
			out = append(out, fmt.Sprintf("at that instant %s ends too, and its cascade revokes this one first (%s)", p.By.Name, p.By))
		} else {
			out = append(out, fmt.Sprintf("but it is revoked earlier, with %s, at %s", p.By.Name, FormatOffset(p.At)))
		}
	}
	// Every token above it, nearest first: revoking any of them revokes
	// it (semantics.md §3.2, §6.1), however deep the chain.
	for i, p := range chain {
		if p.Never {
			out = append(out, fmt.Sprintf("%s above it never expires (a root-policy token with no TTL), so it does not bound it", p.ID))
			continue
		}
		if !p.End.Set {
			continue
		}
		if i == 0 {
			out = append(out, fmt.Sprintf("whenever it is issued, it cannot outlive %s: at the latest it is revoked with it at %s (%s)",
				p.ID, FormatOffset(p.End.At), p.End.By))
			continue
		}
		out = append(out, fmt.Sprintf("through %s, it cannot outlive %s either: at the latest it is revoked with it at %s (%s)",
			chain[i-1].ID, p.ID, FormatOffset(p.End.At), p.End.By))
	}
	if e.Kind == KindLease {
		out = append(out, "renewing its token does not extend it: a lease has its own cap, counted from its own issue time")
	}
	if len(e.Dependents) > 0 {
		when := "when it ends"
		if !e.Predicted.End.Set {
			when = "it has no predicted end; if it is revoked" // a root token, or a periodic one its holder renews (§6.1)
		}
		out = append(out, when+", the backend revokes with it: "+strings.Join(e.Dependents, ", "))
	}
	return out
}

// JoinAnd joins words for a sentence: "a", "a and b", "a, b and c".
func JoinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// FormatOffset renders a virtual instant as "day N+hh:mm" (plus ":ss"
// when the seconds are not zero): day 0 is the scenario's start. An instant
// before the start (a live token's issue) reads "646h13m2s before start".
func FormatOffset(t model.Instant) string {
	v := int64(t)
	if v < 0 {
		return model.Duration(-v).String() + " before start"
	}
	d, h, m, s := v/86400, (v/3600)%24, (v/60)%60, v%60
	if s != 0 {
		return fmt.Sprintf("day %d+%02d:%02d:%02d", d, h, m, s)
	}
	return fmt.Sprintf("day %d+%02d:%02d", d, h, m)
}
