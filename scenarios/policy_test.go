package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

func TestParsePolicy(t *testing.T) {
	x, err := ParsePolicy("p.yaml", []byte("no_cascade_larger_than: 0\nno_system_default_max: true\nmin_reauth_margin: 1d\n"))
	require.NoError(t, err)
	require.NotNil(t, x.NoCascadeLargerThan)
	assert.Equal(t, 0, *x.NoCascadeLargerThan)
	require.NotNil(t, x.NoSystemDefaultMax)
	assert.True(t, *x.NoSystemDefaultMax)
	require.NotNil(t, x.MinReauthMargin)
	assert.Equal(t, 24*model.Hour, *x.MinReauthMargin)
	assert.Nil(t, x.NoOutage)

	_, err = ParsePolicy("p.yaml", []byte("no_outage: yes please\nmax_failed: 3\n"))
	require.Error(t, err)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Problems, 2)
	assert.Contains(t, err.Error(), "p.yaml:1:")
	assert.Contains(t, err.Error(), "p.yaml:2:")
	assert.Contains(t, err.Error(), "max_failed_requests")
}
