package sweep

import (
	"fmt"
	"strconv"
	"strings"
)

// ShardFromEnv is --shard auto: the shard a batch scheduler's task runs,
// read from its environment through getenv (os.LookupEnv in the CLI).
//
//   - A Kubernetes Indexed Job sets JOB_COMPLETION_INDEX (0 … completions−1)
//     in each pod. It does not expose the completion count, so count (the
//     --shard-count flag) or JOB_COMPLETIONS — set in the manifest to
//     spec.completions — gives N.
//   - A Slurm job array sets SLURM_ARRAY_TASK_ID, _COUNT, _MIN and _STEP.
//     The array may start anywhere (--array=1-10: MIN is 1) and step
//     (--array=0-18:2), so K = (ID−MIN)/STEP + 1; a list that is not one
//     evenly stepped range (--array=1,2,9) has no such numbering and is
//     refused.
//
// It also returns where the shard came from, for messages.
func ShardFromEnv(getenv func(string) (string, bool), count int) (Shard, string, error) {
	_, k8s := getenv("JOB_COMPLETION_INDEX")
	_, slurm := getenv("SLURM_ARRAY_TASK_ID")
	switch {
	case k8s && slurm:
		return Shard{}, "", fmt.Errorf("--shard auto: both JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID (Slurm) are set; give --shard K/N explicitly")
	case k8s:
		return indexedJobShard(getenv, count)
	case slurm:
		if count > 0 {
			return Shard{}, "", fmt.Errorf("--shard-count is for Kubernetes Indexed Jobs; in a Slurm array the count is SLURM_ARRAY_TASK_COUNT: drop --shard-count")
		}
		return slurmShard(getenv)
	}
	return Shard{}, "", fmt.Errorf("--shard auto: neither a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) nor a Slurm job array (SLURM_ARRAY_TASK_ID) is in the environment; run it as one of those, or give --shard K/N")
}

func indexedJobShard(getenv func(string) (string, bool), count int) (Shard, string, error) {
	idx, err := envInt(getenv, "JOB_COMPLETION_INDEX", 0)
	if err != nil {
		return Shard{}, "", err
	}
	n, from := count, "--shard-count"
	if n <= 0 {
		if _, ok := getenv("JOB_COMPLETIONS"); !ok {
			return Shard{}, "", fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%d is set but not the number of completions: add --shard-count N, or set JOB_COMPLETIONS in the Job's container env to spec.completions (docs/sweep.md)", idx)
		}
		if n, err = envInt(getenv, "JOB_COMPLETIONS", 1); err != nil {
			return Shard{}, "", err
		}
		from = "JOB_COMPLETIONS"
	}
	if idx >= n {
		return Shard{}, "", fmt.Errorf("--shard auto: JOB_COMPLETION_INDEX=%d is not below the %d completions of %s; %s must equal the Job's spec.completions", idx, n, from, from)
	}
	return Shard{K: idx + 1, N: n}, fmt.Sprintf("JOB_COMPLETION_INDEX=%d of %s=%d", idx, from, n), nil
}

func slurmShard(getenv func(string) (string, bool)) (Shard, string, error) {
	id, err := envInt(getenv, "SLURM_ARRAY_TASK_ID", 0)
	if err != nil {
		return Shard{}, "", err
	}
	n, err := envInt(getenv, "SLURM_ARRAY_TASK_COUNT", 1)
	if err != nil {
		return Shard{}, "", err
	}
	lo, err := envInt(getenv, "SLURM_ARRAY_TASK_MIN", 0)
	if err != nil {
		return Shard{}, "", err
	}
	step := 1
	if _, ok := getenv("SLURM_ARRAY_TASK_STEP"); ok {
		if step, err = envInt(getenv, "SLURM_ARRAY_TASK_STEP", 1); err != nil {
			return Shard{}, "", err
		}
	}
	if hi, ok := getenv("SLURM_ARRAY_TASK_MAX"); ok {
		h, err := envInt(getenv, "SLURM_ARRAY_TASK_MAX", 0)
		if err != nil {
			return Shard{}, "", err
		}
		if (h-lo)%step != 0 || (h-lo)/step+1 != n {
			return Shard{}, "", fmt.Errorf("--shard auto: the Slurm array is not one evenly stepped range (MIN %d, MAX %s, STEP %d, COUNT %d); submit it as --array=0-%d (or A-B:STEP), or give --shard K/N", lo, hi, step, n, n-1)
		}
	}
	if id < lo || (id-lo)%step != 0 || (id-lo)/step >= n {
		return Shard{}, "", fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID=%d is not one of the %d tasks from %d in steps of %d; give --shard K/N", id, n, lo, step)
	}
	k := (id-lo)/step + 1
	return Shard{K: k, N: n}, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d of SLURM_ARRAY_TASK_COUNT=%d from SLURM_ARRAY_TASK_MIN=%d", id, n, lo), nil
}

// envInt reads an integer variable of at least lo.
func envInt(getenv func(string) (string, bool), name string, lo int) (int, error) {
	v, ok := getenv(name)
	if !ok {
		if strings.HasPrefix(name, "SLURM_") {
			return 0, fmt.Errorf("--shard auto: %s is not set: Slurm sets it in every task of a job array (sbatch --array); outside one, give --shard K/N", name)
		}
		return 0, fmt.Errorf("--shard auto: %s is not set", name)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo {
		return 0, fmt.Errorf("--shard auto: %s=%q is not an integer of at least %d", name, v, lo)
	}
	return n, nil
}
