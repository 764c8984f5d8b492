package sim

import (
	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Backend is a scenario's server configuration in the form the model
// reads: mount views and roles by name. Lookups use maps; nothing iterates
// them, so no map order can reach a result.
type Backend struct {
	System  model.System
	mounts  map[string]model.Mount
	auth    map[string]*model.AuthRole
	token   map[string]*model.TokenRole
	secrets map[string]*model.SecretsRole
	// version counts changes to mounts and roles, so that what the engine
	// precomputed from them (renewal shapes) is redone after one.
	version uint64
}

// NewBackend builds the backend of a validated scenario. Roles are copied,
// so that scripted role changes during a run never touch the scenario.
func NewBackend(s *scenarios.Scenario) *Backend {
	b := &Backend{
		System:  s.Backend.System,
		mounts:  map[string]model.Mount{},
		auth:    map[string]*model.AuthRole{},
		token:   map[string]*model.TokenRole{},
		secrets: map[string]*model.SecretsRole{},
	}
	for _, m := range s.Backend.Mounts {
		b.mounts[m.Path] = m
	}
	for _, r := range s.Roles {
		switch r.Kind {
		case scenarios.AuthRole:
			c := r.Auth
			b.auth[r.Name] = &c
		case scenarios.TokenRole:
			c := r.Token
			b.token[r.Name] = &c
		case scenarios.SecretsRole:
			c := r.Secrets
			b.secrets[r.Name] = &c
		}
	}
	return b
}

// Mount returns the mount at path (untuned if the scenario does not declare it).
func (b *Backend) Mount(path string) model.Mount {
	if m, ok := b.mounts[path]; ok {
		return m
	}
	return model.Mount{Path: path}
}

// View is the system view CalculateTTL reads for a mount (semantics.md §2).
func (b *Backend) View(path string) model.MountView {
	return model.ResolveMount(b.System, b.Mount(path))
}

// Tune replaces a mount's tuned values (a scripted tune event).
func (b *Backend) Tune(m model.Mount) {
	b.mounts[m.Path] = m
	b.version++
}

// AuthRole returns the current auth role by name, or nil.
func (b *Backend) AuthRole(name string) *model.AuthRole { return b.auth[name] }

// TokenRole returns the current token role by name, or nil.
func (b *Backend) TokenRole(name string) *model.TokenRole { return b.token[name] }

// SecretsRole returns the current secrets role by name, or nil.
func (b *Backend) SecretsRole(name string) *model.SecretsRole { return b.secrets[name] }

// Apply carries out a scripted tune or role write (other events change
// nothing here). The run and the prediction of `explain` both change the
// backend through it, so they see the same values from the same instant.
func (b *Backend) Apply(ev *scenarios.Event) {
	switch ev.Do {
	case scenarios.EventTune:
		m := b.Mount(ev.Mount)
		for _, f := range ev.Set {
			switch f.Field {
			case "default_lease_ttl":
				m.DefaultLeaseTTL = f.Value
			case "max_lease_ttl":
				m.MaxLeaseTTL = f.Value
			}
		}
		b.Tune(m)
	case scenarios.EventRole:
		b.changeRole(ev.Role, ev.Set)
	}
}

func (b *Backend) changeRole(name string, set []scenarios.FieldValue) {
	b.version++
	for _, f := range set {
		scenarios.SetRoleField(b.AuthRole(name), b.TokenRole(name), b.SecretsRole(name), f)
	}
}
