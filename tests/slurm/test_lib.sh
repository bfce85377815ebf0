# Shared by the Slurm integration tests (test_cluster.sh, test_sweep_cluster.sh); sourced, not run. A test sets
# here (its folder), JOB_TIMEOUT_S (per wait on the queue), root, cluster and started (1 once cluster.sh has started
# the daemons), and defines failure_logs (show_tail of its own logs), then installs on_exit as its EXIT trap.
# Provides: require_programs, now_us, elapsed, fail, expect_eq, show_tail, wait_for_jobs, job_field, and on_exit,
# which shows the logs on failure, stops every daemon by PID and removes the test folder.

require_programs() {  # PROGRAM...: exit 77 (CTest: skipped) unless every one is installed
  local program
  for program in "$@"; do
    if ! command -v "$program" >/dev/null; then
      echo "SKIP: '$program' not installed (Debian: slurmctld slurmd slurm-client munge)"
      exit 77
    fi
  done
}

now_us() { local t=$EPOCHREALTIME; echo "${t/[.,]/}"; }
elapsed() {  # START_US: seconds since, to 0.1 s
  local us=$(($(now_us) - $1))
  printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
expect_eq() {  # WHAT ACTUAL EXPECTED
  [[ "$2" == "$3" ]] || fail "$1: got '$2', expected '$3'"
}

show_tail() {  # FILE...: the last lines of each non-empty one, on stderr
  local f
  for f in "$@"; do
    [[ -s "$f" ]] && { echo "--- $f:"; tail -n 20 "$f"; } >&2
  done
  return 0
}

on_exit() {
  local rc=$? pid pids
  if ((rc != 0 && rc != 77)); then
    show_tail "$cluster"/log/*.log
    failure_logs
  fi
  if ((started)); then
    pids=$(cat "$cluster"/pids/* 2>/dev/null || true)
    "$here/cluster.sh" stop "$cluster" || rc=1
    for pid in $pids; do
      if kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: daemon PID $pid still runs after stop" >&2
        rc=1
      fi
    done
  fi
  rm -rf "$root"
  exit $rc
}

# Waits until none of the given jobs is pending or running any more.
wait_for_jobs() {  # JOBID...
  local ids deadline=$((SECONDS + JOB_TIMEOUT_S))
  ids=$(IFS=,; echo "$*")
  while [[ -n "$(squeue -h -j "$ids" -o %i 2>/dev/null)" ]]; do
    ((SECONDS < deadline)) || fail "jobs $ids still queued after ${JOB_TIMEOUT_S} s: $(squeue -j "$ids" 2>&1)"
    sleep 0.2
  done
}

# The field KEY of `scontrol show job ID` (first occurrence: the array's first record).
job_field() {  # JOBID KEY
  scontrol -o show job "$1" | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
