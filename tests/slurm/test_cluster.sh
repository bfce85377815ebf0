#!/usr/bin/env bash
# Integration test against a real Slurm: starts a single-node cluster (cluster.sh) in a temporary folder,
# runs job scripts written and submitted by idealgas' generator (through slurm_script_driver), checks
# what the tasks saw and wrote, and stops every daemon by PID (trap: also on failure or interruption).
#
#   test_cluster.sh PATH/TO/slurm_script_driver
#
# 1. a 6-task array (at most 3 at once) whose task i writes "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT
#    {task_id} {task_count}", plus an afterok merge job concatenating the files: all succeed, the merged
#    file holds "i 6 i 6" for i = 0..5, each task has its own log, the throttle is 3;
# 2. a rerun of task 2 alone (`sbatch --array=2 SCRIPT`): SLURM_ARRAY_TASK_COUNT is 1 there, while the
#    generator's {task_count} stays 6 (why shards use it);
# 3. an array whose task 2 exits 1: its afterok merge is never run (cancelled: DependencyNeverSatisfied),
#    the other tasks completed, the array is FAILED;
# 4. sbatch's own error (an unknown partition) reaches the caller on one line.
# Logs and results live in a folder whose name holds a space, quotes, '%' and '#' (escaped by the
# generator for sbatch's #SBATCH parser and Slurm's filename patterns).
# Exit 77 (CTest: skipped) when Slurm or munge is not installed.
set -euo pipefail

driver=${1:?usage: test_cluster.sh PATH/TO/slurm_script_driver}
here=$(cd "$(dirname "$0")" && pwd)
readonly JOB_TIMEOUT_S=40  # per wait on the queue; the whole test takes ~15 s (README.md)

source "$here/test_lib.sh"
require_programs slurmctld slurmd munged mungekey sbatch squeue scontrol
[[ -x "$driver" ]] || { echo "FAIL: driver '$driver' is not an executable" >&2; exit 1; }
driver=$(cd "$(dirname "$driver")" && pwd)/$(basename "$driver")  # jobs are submitted from another folder

t0=$(now_us)
root=$(mktemp -d /tmp/idealgas-slurm-test.XXXXXX)
chmod 755 "$root"  # munged wants every folder above its socket executable by all
cluster=$root/cluster
work="$root/work dir's \"q\" 50% #1"
logs=$work/logs
mkdir -p "$logs" "$work/grid" "$work/failing"
started=0

failure_logs() { show_tail "$logs"/*; }
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---- start ---------------------------------------------------------------------------------------------
t=$(now_us)
started=1
export_line=$("$here/cluster.sh" start "$cluster")
eval "$export_line"
t_start=$(elapsed "$t")
cd "$work"  # jobs run from the submission folder

# ---- 1. the array and its merge ------------------------------------------------------------------------
t=$(now_us)
"$driver" array --out "$work/grid.sh" --name grid --size 6 --limit 3 --time 5 --log-dir "$logs" \
  --env "GRID_DIR=$work/grid" -- \
  bash -c 'echo "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT $1 $2" > "$GRID_DIR/task-$1.txt"' task \
  '{task_id}' '{task_count}'
"$driver" merge --out "$work/merge.sh" --name grid-merge --time 0:30 --log-dir "$logs" -- \
  bash -c 'cat "$1"/task-*.txt > "$1/merged.txt"' merge "$work/grid"
array_id=$("$driver" submit "$work/grid.sh")
merge_id=$("$driver" submit "$work/merge.sh" --after "$array_id")
expect_eq "throttle of the array" "$(job_field "$array_id" ArrayTaskThrottle)" 3
expect_eq "dependency of the merge" "$(job_field "$merge_id" Dependency)" "afterok:${array_id}_*(unfulfilled)"
wait_for_jobs "$array_id" "$merge_id"
t_array=$(elapsed "$t")

expect_eq "merge job state" "$(job_field "$merge_id" JobState)" COMPLETED
expected=$(for i in 0 1 2 3 4 5; do echo "$i 6 $i 6"; done)
[[ -f "$work/grid/merged.txt" ]] || fail "the merge job wrote no merged.txt"
expect_eq "merged task files" "$(cat "$work/grid/merged.txt")" "$expected"
for i in 0 1 2 3 4 5; do
  [[ -f "$logs/grid-${array_id}_$i.out" ]] || fail "no log $logs/grid-${array_id}_$i.out"
  grep -q "^task $i of 6 (array job $array_id, 6 tasks in this submission)" "$logs/grid-${array_id}_$i.err" ||
    fail "log $logs/grid-${array_id}_$i.err lacks its task line: $(cat "$logs/grid-${array_id}_$i.err")"
done
[[ -f "$logs/grid-merge-$merge_id.out" ]] || fail "no merge log $logs/grid-merge-$merge_id.out"

# ---- 2. a rerun of one task ----------------------------------------------------------------------------
t=$(now_us)
rerun_id=$(sbatch --parsable --array=2 "$work/grid.sh")
wait_for_jobs "$rerun_id"
t_rerun=$(elapsed "$t")
expect_eq "rerun of task 2 (SLURM_ARRAY_TASK_COUNT is 1, {task_count} stays 6)" \
  "$(cat "$work/grid/task-2.txt")" "2 1 2 6"

# ---- 3. a failing task: afterok is never satisfied -----------------------------------------------------
t=$(now_us)
"$driver" array --out "$work/failing.sh" --name failing --size 6 --log-dir "$logs" -- \
  bash -c 'if [ "$1" = 2 ]; then echo "task 2 fails on purpose" >&2; exit 1; fi; touch "$2/ok-$1"' task \
  '{task_id}' "$work/failing"
"$driver" merge --out "$work/failing-merge.sh" --name failing-merge --log-dir "$logs" -- \
  touch "$work/failing/merged"
fail_id=$("$driver" submit "$work/failing.sh")
fail_merge_id=$("$driver" submit "$work/failing-merge.sh" --after "$fail_id")
wait_for_jobs "$fail_id" "$fail_merge_id"
t_fail=$(elapsed "$t")

expect_eq "state of failing task 2" "$(job_field "${fail_id}_2" JobState)" FAILED
expect_eq "exit code of failing task 2" "$(job_field "${fail_id}_2" ExitCode)" 1:0
for i in 0 1 3 4 5; do
  expect_eq "state of task $i" "$(job_field "${fail_id}_$i" JobState)" COMPLETED
  [[ -f "$work/failing/ok-$i" ]] || fail "task $i of the failing array did not run"
done
[[ ! -e "$work/failing/ok-2" ]] || fail "task 2 should have failed before its touch"
expect_eq "merge after a failed task" "$(job_field "$fail_merge_id" JobState)" CANCELLED
expect_eq "reason of the cancelled merge" "$(job_field "$fail_merge_id" Reason)" DependencyNeverSatisfied
[[ ! -e "$work/failing/merged" ]] || fail "the merge ran although task 2 failed"
grep -q "task 2 fails on purpose" "$logs/failing-${fail_id}_2.err" || fail "task 2's stderr is not in its log"

# ---- 4. sbatch's own error -----------------------------------------------------------------------------
"$driver" array --out "$work/bad.sh" --name bad --size 2 --partition no-such-partition --log-dir "$logs" -- true
if message=$("$driver" submit "$work/bad.sh" 2>&1); then fail "sbatch accepted an unknown partition"; fi
[[ "$message" == *"bad.sh failed with exit code 1: sbatch: error: "*"Invalid partition name specified"* ]] ||
  fail "unexpected message for an unknown partition: $message"
expect_eq "lines in that message" "$(wc -l <<<"$message")" 1

# ---- stop ----------------------------------------------------------------------------------------------
t=$(now_us)
pids=$(cat "$cluster"/pids/*)
"$here/cluster.sh" stop "$cluster"
started=0
t_stop=$(elapsed "$t")
for pid in $pids; do
  ! kill -0 "$pid" 2>/dev/null || fail "daemon PID $pid still runs after stop"
done

echo "PASS: start ${t_start} s; 6-task array + merge ${t_array} s; rerun of one task ${t_rerun} s;" \
  "failing array + cancelled merge ${t_fail} s; stop ${t_stop} s; total $(elapsed "$t0") s"
