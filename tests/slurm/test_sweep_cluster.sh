#!/usr/bin/env bash
# Integration test of `idealgas sweep --slurm` against a real single-node Slurm cluster (cluster.sh), issue 10:
#
# 1. a 3 x 3 isotropic grid submitted as a job array of 5 tasks (2 configurations per task) with its dependent
#    merge job: every task and the merge complete, each task has its logs, and the merged summary.csv equals, byte for
#    byte, that of a local `idealgas sweep` of the same grid;
# 2. a kill: a 2-configuration grid (one task each) whose task 1 is killed with SIGKILL mid-run (after its first
#    checkpoint): the task fails, the merge is cancelled (its dependency can never be met); rerunning that task alone
#    (`sbatch --array=1 DIR/slurm/array.sh`) resumes the configuration from its checkpoint, a merge after it
#    completes, and the merged table equals a local sweep's, byte for byte;
# 3. a tiny network grid (preset train-smoke: two `idealgas train` jobs) as a job array with its merge: the merged
#    table equals a local sweep's, byte for byte.
# Every daemon is stopped by PID in an EXIT trap. Exit 77 (CTest: skipped) when Slurm or munge is not installed.
#
#   test_sweep_cluster.sh PATH/TO/idealgas
set -euo pipefail

idealgas=${1:?usage: test_sweep_cluster.sh PATH/TO/idealgas}
here=$(cd "$(dirname "$0")" && pwd)
readonly JOB_TIMEOUT_S=120  # per wait on the queue; the whole test takes ~40 s (README.md)

source "$here/test_lib.sh"
require_programs slurmctld slurmd munged mungekey sbatch squeue scontrol scancel
[[ -x "$idealgas" ]] || { echo "FAIL: '$idealgas' is not an executable" >&2; exit 1; }
idealgas=$(cd "$(dirname "$idealgas")" && pwd)/$(basename "$idealgas")

t0=$(now_us)
root=$(mktemp -d /tmp/idealgas-sweep-slurm.XXXXXX)
chmod 755 "$root"  # munged wants every folder above its socket executable by all
cluster=$root/cluster
work=$root/work
mkdir -p "$work"
started=0

failure_logs() { show_tail "$work"/*/slurm/logs/*; }
trap on_exit EXIT
trap 'exit 130' INT TERM

# "submitted: array job A (N tasks; ...), merge job M after it" -> "A M"
submitted_ids() {  # OUTPUT
  sed -n 's/^submitted: array job \([0-9]*\) (.*merge job \([0-9]*\) after it$/\1 \2/p' <<<"$1"
}

cat >"$work/grid.toml" <<'EOF'
kind = "iso"
description = "Slurm test grid: the fast corner of the fixed-LR grid"
[base]
protocol = "lr"
iterations = 20000
snapshots = 200
se_blocks = 4
batches = 4
window_relaxations = 20
[[axis]]
key = "eta"
log = [3e-2, 1e-1, 3]
[[axis]]
key = "lambda"
log = [3e-2, 1e-1, 3]
EOF
# Configuration 1 (task 1) runs ~5e7 iterations (a few seconds): long enough to be killed mid-run.
cat >"$work/kill.toml" <<'EOF'
kind = "iso"
description = "Slurm kill test: one slow configuration per task"
[base]
protocol = "lr"
lambda = 1e-3
snapshots = 200
se_blocks = 4
batches = 4
checkpoint_seconds = 0.0
[[axis]]
key = "eta"
values = [5e-4, 3e-4]
EOF

# ---- local references -----------------------------------------------------------------------------------
t=$(now_us)
"$idealgas" sweep "$work/grid.toml" --out "$work/local" --jobs 2 --quiet >/dev/null
"$idealgas" sweep "$work/kill.toml" --out "$work/local-kill" --jobs 2 --quiet >/dev/null
"$idealgas" sweep --preset train-smoke --out "$work/local-train" --jobs 2 --quiet >/dev/null
t_local=$(elapsed "$t")

# ---- start ----------------------------------------------------------------------------------------------
t=$(now_us)
started=1
eval "$("$here/cluster.sh" start "$cluster")"
t_start=$(elapsed "$t")
cd "$work"

# ---- 1. the grid as a job array with its merge -----------------------------------------------------------
t=$(now_us)
out=$("$idealgas" sweep "$work/grid.toml" --out "$work/cluster" --slurm --models-per-task 2 --time 5 --array-limit 4)
read -r array_id merge_id <<<"$(submitted_ids "$out")"
[[ -n "${merge_id:-}" ]] || fail "no job ids in: $out"
expect_eq "throttle of the array" "$(job_field "$array_id" ArrayTaskThrottle)" 4
wait_for_jobs "$array_id" "$merge_id"
t_array=$(elapsed "$t")
for i in 0 1 2 3 4; do
  expect_eq "state of task $i" "$(job_field "${array_id}_$i" JobState)" COMPLETED
  [[ -f "$work/cluster/slurm/logs/idealgas-sweep-${array_id}_$i.err" ]] || fail "task $i has no log"
  grep -q "shard $i/5" "$work/cluster/slurm/logs/idealgas-sweep-${array_id}_$i.err" ||
    fail "task $i's log does not name its shard: $(cat "$work/cluster/slurm/logs/idealgas-sweep-${array_id}_$i.err")"
done
expect_eq "merge job state" "$(job_field "$merge_id" JobState)" COMPLETED
cmp -s "$work/cluster/summary.csv" "$work/local/summary.csv" ||
  fail "merged summary.csv differs from the local sweep's: $(diff "$work/cluster/summary.csv" "$work/local/summary.csv" | head -n 4)"
grep -q "9 configurations: 9 done" "$work/cluster/slurm/logs/idealgas-sweep-merge-$merge_id.out" ||
  fail "the merge job's log lacks its counts: $(cat "$work/cluster/slurm/logs/idealgas-sweep-merge-$merge_id.out")"

# ---- 2. kill one task mid-run, rerun it, merge ------------------------------------------------------------
t=$(now_us)
out=$("$idealgas" sweep "$work/kill.toml" --out "$work/killed" --slurm --time 5)
read -r kill_array kill_merge <<<"$(submitted_ids "$out")"
[[ -n "${kill_merge:-}" ]] || fail "no job ids in: $out"
id1=$("$idealgas" sweep status "$work/killed" | awk '$1 == 1 { print $2 }')
deadline=$((SECONDS + JOB_TIMEOUT_S))
until [[ -f "$work/killed/runs/$id1/checkpoint.bin" ]]; do
  ((SECONDS < deadline)) || fail "task 1 wrote no checkpoint within ${JOB_TIMEOUT_S} s"
  sleep 0.05
done
scancel --signal=KILL --full "${kill_array}_1"
wait_for_jobs "$kill_array" "$kill_merge"
state=$(job_field "${kill_array}_1" JobState)
[[ "$state" == FAILED || "$state" == CANCELLED ]] || fail "killed task 1 is $state, expected FAILED or CANCELLED"
[[ ! -f "$work/killed/runs/$id1/summary.json" ]] || fail "task 1 finished before the kill; nothing was tested"
expect_eq "state of task 0" "$(job_field "${kill_array}_0" JobState)" COMPLETED
expect_eq "merge after the killed task" "$(job_field "$kill_merge" JobState)" CANCELLED
expect_eq "reason of the cancelled merge" "$(job_field "$kill_merge" Reason)" DependencyNeverSatisfied
rerun=$(sbatch --parsable --array=1 "$work/killed/slurm/array.sh")
merge_again=$(sbatch --parsable --dependency="afterok:$rerun" "$work/killed/slurm/merge.sh")
wait_for_jobs "$rerun" "$merge_again"
t_kill=$(elapsed "$t")
expect_eq "rerun of task 1" "$(job_field "${rerun}_1" JobState)" COMPLETED
expect_eq "merge after the rerun" "$(job_field "$merge_again" JobState)" COMPLETED
attempts=$(grep -c '^=== ' "$work/killed/runs/$id1/job.log")
((attempts >= 2)) || fail "configuration 1 ran $attempts time(s), expected a killed attempt and a resumed one"
cmp -s "$work/killed/summary.csv" "$work/local-kill/summary.csv" ||
  fail "after kill and rerun, summary.csv differs from the local sweep's: $(diff "$work/killed/summary.csv" "$work/local-kill/summary.csv" | head -n 4)"

# ---- 3. a tiny network grid (kind train: idealgas train jobs) as a job array ------------------------------
t=$(now_us)
out=$("$idealgas" sweep --preset train-smoke --out "$work/cluster-train" --slurm --time 5)
read -r train_array train_merge <<<"$(submitted_ids "$out")"
[[ -n "${train_merge:-}" ]] || fail "no job ids in: $out"
wait_for_jobs "$train_array" "$train_merge"
for i in 0 1; do expect_eq "state of network task $i" "$(job_field "${train_array}_$i" JobState)" COMPLETED; done
expect_eq "network merge job state" "$(job_field "$train_merge" JobState)" COMPLETED
cmp -s "$work/cluster-train/summary.csv" "$work/local-train/summary.csv" ||
  fail "merged network summary.csv differs from the local sweep's: $(diff "$work/cluster-train/summary.csv" "$work/local-train/summary.csv" | head -n 4)"
t_train=$(elapsed "$t")

# ---- stop -----------------------------------------------------------------------------------------------
t=$(now_us)
pids=$(cat "$cluster"/pids/*)
"$here/cluster.sh" stop "$cluster"
started=0
t_stop=$(elapsed "$t")
for pid in $pids; do
  ! kill -0 "$pid" 2>/dev/null || fail "daemon PID $pid still runs after stop"
done

echo "PASS: local sweeps ${t_local} s; cluster start ${t_start} s; 9-configuration grid as 5 tasks + merge ${t_array} s" \
  "(merged table = local); kill of task 1 mid-run, rerun and merge ${t_kill} s (merged table = local," \
  "$attempts attempts of the killed configuration); 2-configuration network grid as 2 tasks + merge ${t_train} s" \
  "(merged table = local); stop ${t_stop} s; total $(elapsed "$t0") s"
