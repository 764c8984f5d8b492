package sweep

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShardFromEnv(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		count int // --shard-count
		want  Shard
		from  string
		err   string
	}{
		{name: "indexed job, count from the flag", env: map[string]string{"JOB_COMPLETION_INDEX": "0"}, count: 3,
			want: Shard{1, 3}, from: "JOB_COMPLETION_INDEX=0 of --shard-count=3"},
		{name: "indexed job, last index", env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, count: 3, want: Shard{3, 3}},
		{name: "indexed job, count from JOB_COMPLETIONS", env: map[string]string{"JOB_COMPLETION_INDEX": "4", "JOB_COMPLETIONS": "10"},
			want: Shard{5, 10}, from: "JOB_COMPLETION_INDEX=4 of JOB_COMPLETIONS=10"},
		{name: "the flag wins over JOB_COMPLETIONS", env: map[string]string{"JOB_COMPLETION_INDEX": "1", "JOB_COMPLETIONS": "10"}, count: 2, want: Shard{2, 2}},
		{name: "indexed job without a count", env: map[string]string{"JOB_COMPLETION_INDEX": "1"},
			err: "add --shard-count N, or set JOB_COMPLETIONS"},
		{name: "index beyond the count", env: map[string]string{"JOB_COMPLETION_INDEX": "3"}, count: 3,
			err: "JOB_COMPLETION_INDEX=3 is not below the 3 completions of --shard-count; --shard-count must equal the Job's spec.completions"},
		{name: "index not a number", env: map[string]string{"JOB_COMPLETION_INDEX": "x"}, count: 3,
			err: `JOB_COMPLETION_INDEX="x" is not an integer of at least 0`},
		{name: "negative index", env: map[string]string{"JOB_COMPLETION_INDEX": "-1"}, count: 3, err: `JOB_COMPLETION_INDEX="-1"`},
		{name: "zero completions", env: map[string]string{"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": "0"}, err: `JOB_COMPLETIONS="0" is not an integer of at least 1`},

		{name: "slurm array from 0", env: slurm("3", "10", "0", "9", ""), want: Shard{4, 10},
			from: "SLURM_ARRAY_TASK_ID=3 of SLURM_ARRAY_TASK_COUNT=10 from SLURM_ARRAY_TASK_MIN=0"},
		{name: "slurm array from 1 (--array=1-10)", env: slurm("1", "10", "1", "10", "1"), want: Shard{1, 10}},
		{name: "slurm array from 1, last task", env: slurm("10", "10", "1", "10", "1"), want: Shard{10, 10}},
		{name: "slurm array with a step (--array=0-18:2)", env: slurm("6", "10", "0", "18", "2"), want: Shard{4, 10}},
		{name: "slurm list that is no range (--array=1,2,9)", env: slurm("9", "3", "1", "9", "1"), err: "not one evenly stepped range"},
		{name: "slurm task off the step", env: slurm("3", "10", "0", "18", "2"), err: "SLURM_ARRAY_TASK_ID=3 is not one of the 10 tasks from 0 in steps of 2"},
		{name: "slurm without the count", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, err: "SLURM_ARRAY_TASK_COUNT is not set: Slurm sets it in every task of a job array"},
		{name: "slurm with --shard-count", env: slurm("1", "2", "0", "1", ""), count: 2, err: "drop --shard-count"},

		{name: "neither", env: map[string]string{}, err: "neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) nor a Slurm job array (SLURM_ARRAY_TASK_ID)"},
		{name: "both", env: map[string]string{"JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": "0"}, count: 2, err: "both JOB_COMPLETION_INDEX"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
			got, from, err := ShardFromEnv(getenv, c.count)
			if c.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.err)
				assert.Contains(t, err.Error(), "--shard", "names the flag")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			if c.from != "" {
				assert.Equal(t, c.from, from)
			}
		})
	}
}

// slurm is the environment of a Slurm array task; step "" leaves
// SLURM_ARRAY_TASK_STEP unset.
func slurm(id, count, lo, hi, step string) map[string]string {
	env := map[string]string{"SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_COUNT": count, "SLURM_ARRAY_TASK_MIN": lo, "SLURM_ARRAY_TASK_MAX": hi}
	if step != "" {
		env["SLURM_ARRAY_TASK_STEP"] = step
	}
	return env
}
