package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// vaultDuration is a duration as Vault writes it in a warning: no zero
// minutes or seconds ("1000h", "1m", "1h5s"; sdk/framework/lease.go).
const vaultDuration = `(?:[1-9]\d*h)?(?:[1-9]\d?m)?(?:[1-9]\d?s)?`

var cappedWarning = regexp.MustCompile(`^TTL of "(` + vaultDuration + `)" exceeded the effective max_ttl of "(` + vaultDuration + `)"; TTL value is capped accordingly$`)

// Every renewal the hard end cut short carries Vault's warning in
// events.jsonl, with the time left quoted as Vault writes it, and no other
// renewal does; report.json names each entity's first one.
func TestCappedRenewalsCarryVaultsWarning(t *testing.T) {
	for _, name := range []string{"default-max-cliff", "lease-own-cap"} {
		t.Run(name, func(t *testing.T) {
			res := New(load(t, name), Options{RecordLog: true}).Run()
			var ev, rep bytes.Buffer
			require.NoError(t, WriteEventsJSONL(&ev, res))
			require.NoError(t, WriteReportJSON(&rep, res, EntitiesAll))

			type line struct {
				T        int64    `json:"t"`
				Kind     string   `json:"kind"`
				Entity   string   `json:"entity"`
				Expire   int64    `json:"expire_t"`
				HardEnd  *int64   `json:"hard_end_t"`
				Warnings []string `json:"warnings"`
			}
			first := map[string]line{}
			capped := 0
			sc := bufio.NewScanner(&ev)
			sc.Buffer(nil, 1<<24)
			sc.Scan() // the header
			for sc.Scan() {
				var l line
				require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
				if l.Kind != "renew" {
					continue
				}
				// Capped: the TTL was cut to the time left, so it expires at the hard end
				// (a requested TTL exactly equal to the time left is not capped: no warning).
				atCeiling := l.HardEnd != nil && l.Expire == *l.HardEnd
				if !atCeiling {
					assert.Empty(t, l.Warnings, "t=%d %s: a renewal below the ceiling has no warning", l.T, l.Entity)
					continue
				}
				if len(l.Warnings) == 0 {
					continue
				}
				capped++
				require.Len(t, l.Warnings, 1, "t=%d %s", l.T, l.Entity)
				m := cappedWarning.FindStringSubmatch(l.Warnings[0])
				require.NotNil(t, m, "t=%d %s: %q is not Vault's wording", l.T, l.Entity, l.Warnings[0])
				left, err := model.ParseDuration(m[2])
				require.NoError(t, err)
				assert.Equal(t, *l.HardEnd-l.T, int64(left), "t=%d %s: the warning quotes the time left", l.T, l.Entity)
				if _, seen := first[l.Entity]; !seen {
					first[l.Entity] = l
				}
			}
			require.Positive(t, capped, "the scenario's renewals get capped")

			var doc struct {
				Entities []struct {
					ID     string `json:"id"`
					Capped *struct {
						Offset   int64    `json:"offset_seconds"`
						Before   int64    `json:"before_hard_end_seconds"`
						Warnings []string `json:"warnings"`
					} `json:"first_capped_renewal"`
				} `json:"entities"`
			}
			require.NoError(t, json.Unmarshal(rep.Bytes(), &doc))
			n := 0
			for _, e := range doc.Entities {
				l, ok := first[e.ID]
				if e.Capped == nil {
					assert.False(t, ok, "%s: its first capped renewal is missing from the report", e.ID)
					continue
				}
				n++
				require.True(t, ok, "%s: the report names a capped renewal the log does not have", e.ID)
				assert.Equal(t, l.T, e.Capped.Offset, e.ID)
				assert.Equal(t, *l.HardEnd-l.T, e.Capped.Before, e.ID)
				assert.Equal(t, l.Warnings, e.Capped.Warnings, e.ID)
			}
			assert.Equal(t, len(first), n)
		})
	}
}
