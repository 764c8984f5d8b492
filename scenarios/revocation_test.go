package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

const revBase = `name: r
description: d
start: 2024-01-01T00:00:00Z
horizon: 10h
seed: 1
backend:
  %BACKEND%
  mounts:
    auth/approle: {}
    database:
      %MOUNT%
roles:
  app-db: {mount: database, default_ttl: 1h, max_ttl: 1h}
actors:
  svc: {token: {ttl: 2h}, credential: app-db}
%EVENTS%`

func revDoc(backend, mount, events string) string {
	s := strings.ReplaceAll(revBase, "%BACKEND%", backend)
	s = strings.ReplaceAll(s, "%MOUNT%", mount)
	return strings.ReplaceAll(s, "%EVENTS%", events)
}

func TestRevocationParse(t *testing.T) {
	tests := []struct {
		name                   string
		backend, mount, events string
		want                   *Revocation // nil: instant
	}{
		{"absent: Vault's defaults", "", "default_lease_ttl: 1h", "", &Revocation{Workers: 200, RequestTimeout: 90_000}},
		{"instant", "revocation: instant", "", "", nil},
		{"empty block: Vault's defaults", "revocation: {}", "", "", &Revocation{Workers: 200, RequestTimeout: 90_000}},
		{"set", "revocation: {workers: 50, request_timeout: 2m}", "", "", &Revocation{Workers: 50, RequestTimeout: 120_000}},
		{"a mount's revoke", "", "revoke: {latency: {p50: 2s}, failure: 0.1}", "",
			&Revocation{Workers: 200, RequestTimeout: 90_000, Mounts: []MountRevoke{{Mount: "database", P50: 2000, P99: 2000, Failure: 0.1}}}},
		{"a database event", "", "", "events:\n  - {at: 1h, do: slowdown, mount: database, until: 2h, latency: 500ms}",
			&Revocation{Workers: 200, RequestTimeout: 90_000}},
		{"instant wins", "revocation: instant", "revoke: {latency: {p50: 2s}}", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("r.yaml", []byte(revDoc(tt.backend, tt.mount, tt.events)))
			require.NoError(t, err)
			got := s.Backend.Revocation
			if tt.want == nil {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			got.Line = 0
			for i := range got.Mounts {
				got.Mounts[i].Line = 0
			}
			assert.Equal(t, tt.want, got)
		})
	}
	s, err := Parse("r.yaml", []byte(revDoc("", "", "events:\n  - {at: 1h, do: slowdown, mount: database, until: 2h, latency: 500ms}")))
	require.NoError(t, err)
	assert.Equal(t, Event{Line: 17, At: 3600, Do: EventSlowdown, Mount: "database", Until: 7200, Latency: model.Millis(500)}, s.Events[0])
}

func TestRevocationParseErrors(t *testing.T) {
	tests := []struct {
		name                   string
		backend, mount, events string
		want                   string
	}{
		{"unknown model", "revocation: fast", "", "", `backend.revocation: unknown revocation model "fast"; want instant`},
		{"workers range", "revocation: {workers: 0}", "", "", "backend.revocation.workers: 0 is out of range"},
		{"unit required", "revocation: {request_timeout: 90}", "", "", "backend.revocation.request_timeout: expected a duration with a unit"},
		{"p99 below p50", "", "revoke: {latency: {p50: 80ms, p99: 30ms}}", "", "p99 30ms is below p50 80ms"},
		{"failure range", "", "revoke: {failure: 1}", "", "backend.mounts.database.revoke.failure: 1 is out of range"},
		{"sub-millisecond", "", "revoke: {latency: {p50: 500us}}", "", "whole milliseconds from 1ms to 24h"},
		{"auth mount", "", "", "events:\n  - {at: 1h, do: database-outage, mount: auth/approle, until: 2h}", `"auth/approle" is an auth mount`},
		{"until before at", "", "", "events:\n  - {at: 2h, do: database-outage, mount: database, until: 1h}", "database-outage ends at or before it starts"},
		{"slowdown needs latency", "", "", "events:\n  - {at: 1h, do: slowdown, mount: database, until: 2h}", "required by do: slowdown: how long each revoke takes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte(revDoc(tt.backend, tt.mount, tt.events)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "r.yaml:")
		})
	}
}

func TestRevocationExpect(t *testing.T) {
	x, err := ParsePolicy("p.yaml", []byte("max_exposure_window: 5m\nmax_revocations_per_second: 100\nno_irrevocable_leases: true\n"))
	require.NoError(t, err)
	assert.Equal(t, 5*model.Minute, *x.MaxExposureWindow)
	assert.Equal(t, 100.0, *x.MaxRevocationsPerSecond)
	assert.True(t, *x.NoIrrevocableLeases)
	_, err = ParsePolicy("p.yaml", []byte("max_revocations_per_second: 0\n"))
	assert.ErrorContains(t, err, "max_revocations_per_second: 0 is out of range")
}
