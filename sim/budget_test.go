package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Each budget stops the run where it is exceeded, and says which it was,
// the flag that raises it and how far the run got.
func TestBudgetsStopTheRun(t *testing.T) {
	s, err := scenarios.Load("default-max-cliff")
	require.NoError(t, err)
	full := New(s, Options{}).Run()
	require.False(t, full.Outcome.Exhausted())
	require.NoError(t, full.BudgetErr())
	tests := []struct {
		name    string
		opts    Options
		outcome Outcome
		flag    string
	}{
		{"events", Options{Budget: 500}, BudgetExhausted, "--max-events"},
		{"live", Options{MaxLive: 30}, LiveBudgetExhausted, "--max-live"},
		{"entities", Options{MaxEntities: 200}, EntityBudgetExhausted, "--max-entities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(s, tt.opts)
			res := e.Run()
			assert.Equal(t, tt.outcome, res.Outcome)
			assert.True(t, res.Outcome.Exhausted())
			assert.Less(t, res.Horizon, model.Instant(s.Horizon))
			switch tt.outcome {
			case LiveBudgetExhausted:
				assert.Greater(t, e.live, tt.opts.MaxLive)
				assert.Equal(t, e.live, tt.opts.MaxLive+1, "stops issuing at once")
			case EntityBudgetExhausted:
				assert.Greater(t, int64(len(e.ents)), tt.opts.MaxEntities)
				assert.Equal(t, int64(len(e.ents)), tt.opts.MaxEntities+1)
			}
			var be *BudgetError
			require.ErrorAs(t, res.BudgetErr(), &be)
			assert.Equal(t, tt.flag, be.Flag)
			assert.Equal(t, res.Horizon, be.At)
			assert.Contains(t, be.Error(), "default-max-cliff: the ")
			assert.Contains(t, be.Error(), "raise it with "+tt.flag)
			assert.Contains(t, res.Headline(), "STOPPED EARLY at ")
		})
	}
}
