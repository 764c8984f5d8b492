package model

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §1 step 2: the cap is the smallest of the mount-or-system max, the
// backend max and the explicit max; larger ones are ignored silently.
func TestEffectiveMaxTTL(t *testing.T) {
	view := Setting{h(768), sysMax()}
	role := func(d Duration) Setting { return setting(d, LayerRoleTokenMaxTTL, "r") }
	expl := func(d Duration) Setting { return setting(d, LayerRequestExplicitMaxTTL, "") }
	tests := []struct {
		name              string
		backend, explicit Setting
		want              Setting
	}{
		{"nothing set: system max (the seed incident)", Setting{}, Setting{}, view},
		{"role max smaller", role(h(24)), Setting{}, role(h(24))},
		{"role max larger is ignored", role(h(1000)), Setting{}, view},
		{"explicit smaller than role", role(h(24)), expl(h(12)), expl(h(12))},
		{"explicit larger than role", role(h(24)), expl(h(48)), role(h(24))},
		{"explicit larger than mount max is ineffective (§12)", Setting{}, expl(h(1000)), view},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, EffectiveMaxTTL(view, tt.backend, tt.explicit))
		})
	}
}

// §1 step 5: increment, else backend TTL, else the mount default.
func TestNormalTTL(t *testing.T) {
	dflt := Setting{h(768), sysDflt()}
	bt := setting(h(24), LayerRequestTTL, "")
	d, l := NormalTTL(dflt, h(1), bt)
	assert.Equal(t, h(1), d)
	assert.Equal(t, LayerIncrement, l.Kind)
	d, l = NormalTTL(dflt, 0, bt)
	assert.Equal(t, h(24), d)
	assert.Equal(t, LayerRequestTTL, l.Kind)
	d, l = NormalTTL(dflt, 0, Setting{})
	assert.Equal(t, h(768), d)
	assert.Equal(t, sysDflt(), l)
}

// §1: every branch of the formula.
func TestCalculateTTL(t *testing.T) {
	ttl := func(d Duration) Setting { return setting(d, LayerRequestTTL, "") }
	period := func(d Duration) Setting { return setting(d, LayerRequestPeriod, "") }
	expl := func(d Duration) Setting { return setting(d, LayerRequestExplicitMaxTTL, "") }
	tests := []struct {
		name        string
		p           TTLParams
		wantTTL     Duration
		wantTTLBy   LayerKind
		wantHardEnd Instant // 0 = no hard end
		wantEndBy   LayerKind
		wantWarn    []string
		wantErr     error
	}{
		{name: "default TTL, system ceiling", p: TTLParams{View: tokenView},
			wantTTL: h(768), wantTTLBy: LayerSystemDefault, wantHardEnd: at(h(768)), wantEndBy: LayerSystemMax},
		{name: "backend TTL", p: TTLParams{View: tokenView, BackendTTL: ttl(h(24))},
			wantTTL: h(24), wantTTLBy: LayerRequestTTL, wantHardEnd: at(h(768)), wantEndBy: LayerSystemMax},
		{name: "increment replaces, may shorten", p: TTLParams{View: tokenView, BackendTTL: ttl(h(24)), Increment: h(1), Now: at(h(5))},
			wantTTL: h(1), wantTTLBy: LayerIncrement, wantHardEnd: at(h(768)), wantEndBy: LayerSystemMax},
		{name: "capped to the time left, anchored at the start", p: TTLParams{View: tokenView, BackendTTL: ttl(h(24)), Now: at(h(756))},
			wantTTL: h(12), wantTTLBy: LayerSystemMax, wantHardEnd: at(h(768)), wantEndBy: LayerSystemMax,
			wantWarn: []string{`TTL of "24h" exceeded the effective max_ttl of "12h"; TTL value is capped accordingly`}},
		{name: "at the ceiling: past the max", p: TTLParams{View: tokenView, Now: at(h(768))}, wantErr: ErrPastMaxTTL},
		{name: "beyond the ceiling", p: TTLParams{View: tokenView, Now: at(h(800))}, wantErr: ErrPastMaxTTL},
		{name: "one second before the ceiling", p: TTLParams{View: tokenView, Now: at(h(768)) - 1},
			wantTTL: 1, wantTTLBy: LayerSystemMax, wantHardEnd: at(h(768)), wantEndBy: LayerSystemMax,
			wantWarn: []string{`TTL of "768h" exceeded the effective max_ttl of "1s"; TTL value is capped accordingly`}},
		{name: "periodic: period is the TTL, no ceiling", p: TTLParams{View: tokenView, BackendTTL: ttl(h(1)), Increment: h(100), Period: period(h(24)), Now: at(h(5000))},
			wantTTL: h(24), wantTTLBy: LayerRequestPeriod},
		{name: "periodic: period capped by the max, no ceiling", p: TTLParams{View: tokenView, Period: period(h(1000))},
			wantTTL: h(768), wantTTLBy: LayerSystemMax,
			wantWarn: []string{`period of "1000h" exceeded the effective max_ttl of "768h"; period value is capped accordingly`}},
		{name: "periodic with explicit max: ceiling", p: TTLParams{View: tokenView, Period: period(h(24)), ExplicitMax: expl(h(36)), Now: at(h(20))},
			wantTTL: h(16), wantTTLBy: LayerRequestExplicitMaxTTL, wantHardEnd: at(h(36)), wantEndBy: LayerRequestExplicitMaxTTL,
			wantWarn: []string{`TTL of "24h" exceeded the effective max_ttl of "16h"; TTL value is capped accordingly`}},
		{name: "zero max guard", p: TTLParams{View: MountView{Max: Setting{}}}, wantErr: ErrMaxTTLZero},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := CalculateTTL(tt.p)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantTTL, g.TTL, "ttl")
			assert.Equal(t, tt.wantTTLBy, g.TTLBy.Kind, "ttl bound by")
			assert.Equal(t, tt.wantHardEnd != 0, g.HasHardEnd, "has hard end")
			if tt.wantHardEnd != 0 {
				assert.Equal(t, tt.wantHardEnd, g.HardEnd, "hard end")
				assert.Equal(t, tt.wantEndBy, g.HardEndBy.Kind, "hard end bound by")
			}
			assert.Equal(t, tt.wantWarn, g.Warnings.Messages())
		})
	}
}

// The formula must not allocate: the engine calls it on every renewal.
func TestCalculateTTLDoesNotAllocate(t *testing.T) {
	p := TTLParams{View: tokenView, BackendTTL: setting(h(24), LayerRequestTTL, ""), Now: at(h(760))}
	allocs := testing.AllocsPerRun(100, func() { _, _ = CalculateTTL(p) })
	assert.Zero(t, allocs)
}

// Warning durations as the backend writes them: Go's form without zero
// minutes and seconds (sdk/framework/lease.go humanDuration; the
// openbao-2.6.2 sample token-renew-capped.json shows "8s" and "4s").
func TestVaultString(t *testing.T) {
	tests := []struct {
		d    Duration
		want string
	}{
		{h(1000), "1000h"},
		{h(768), "768h"},
		{Minute, "1m"},
		{90 * Minute, "1h30m"},
		{h(1) + 5, "1h5s"},
		{h(2) + Minute + 1, "2h1m1s"},
		{8, "8s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.d.VaultString(), "%d seconds", int64(tt.d))
	}
}

// VaultString agrees with the backend's rule — time.Duration's String,
// then "m0s" at the end loses its "0s" and "h0m" loses its "0m" — on
// every whole-second value up to two days and on long ones.
func TestVaultStringMatchesTrimmedGoForm(t *testing.T) {
	trimmed := func(d Duration) string {
		s := d.Std().String()
		if d == 0 {
			return "0s"
		}
		if strings.HasSuffix(s, "m0s") {
			s = s[:len(s)-2]
		}
		if i := strings.Index(s, "h0m"); i > 0 {
			s = s[:i+1] + s[i+3:]
		}
		return s
	}
	check := func(d Duration) {
		if got, want := d.VaultString(), trimmed(d); got != want {
			t.Fatalf("%d seconds: VaultString %q, backend %q", int64(d), got, want)
		}
	}
	for d := Duration(0); d <= 2*Day; d++ {
		check(d)
	}
	for _, d := range []Duration{h(768), h(8760) + 1, h(87600) + 59*Minute, 100_000 * Day} {
		check(d)
	}
}
