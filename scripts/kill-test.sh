#!/usr/bin/env bash
# Kill test (issue 11): runs a small `idealgas sweep`, a small `idealgas reproduce iso` and a small network sweep
# (kind "train": `idealgas train` jobs), kills each at random
# moments (SIGKILL of the sweep alone, whose jobs then get SIGTERM from the kernel and checkpoint; SIGKILL of the sweep
# and its jobs at once; SIGTERM, which stops the jobs cleanly), restarts it after every kill until it finishes on its
# own, and checks that
#   - no completed configuration is ever lost (the number done never drops from one restart to the next),
#   - the final tables are bitwise identical to those of an uninterrupted run (summary.csv; for reproduce iso also
#     each protocol's summary.csv and checks.json).
# Checkpoints are forced at every chunk (checkpoint_seconds = 0). Then (issue 18) SIGTERM in the middle of long work:
# a training log point of 2000 fresh batches and the planning of a 10^6-configuration grid must end with exit 4
# within 5 s, the training run resuming to the uninterrupted run's records bitwise.
#
#   scripts/kill-test.sh [--kills N] [--seed S] [--idealgas PATH]
#
# --kills: kills per job, at least (default 20; CTest runs a short version with 3). Delays between a start and its kill
# are drawn uniformly from [0.05 s, 1.5 T / N] (T: the uninterrupted run's time, N: --kills) with bash's RANDOM seeded
# by --seed (default 1), so a run can be repeated; if a run finishes before N kills, another round starts in a fresh
# folder, and every round's tables are compared.
# Exit 0 and a PASS line with the numbers, or a FAIL line naming what differed.
set -euo pipefail

kills=20
seed=1
here=$(cd "$(dirname "$0")/.." && pwd)
idealgas=$here/build/release/idealgas
while (($#)); do
  case $1 in
    --kills) kills=${2:?--kills needs a number}; shift 2 ;;
    --seed) seed=${2:?--seed needs a number}; shift 2 ;;
    --idealgas) idealgas=${2:?--idealgas needs a path}; shift 2 ;;
    *) echo "usage: kill-test.sh [--kills N] [--seed S] [--idealgas PATH]" >&2; exit 2 ;;
  esac
done
[[ "$kills" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "kill-test.sh: --kills must be a whole number in [1, 9999], got '$kills'" >&2; exit 2; }
[[ "$seed" =~ ^[0-9]{1,9}$ ]] || { echo "kill-test.sh: --seed must be a whole number, got '$seed'" >&2; exit 2; }
[[ -x "$idealgas" ]] || { echo "kill-test.sh: no idealgas program at $idealgas (build it, or pass --idealgas)" >&2; exit 2; }
RANDOM=$seed

work=$(mktemp -d /tmp/idealgas-kill-test.XXXXXX)
cleanup() {
  local pid
  # Only processes this script started: the recorded job and its children.
  if [[ -n "${job_pid:-}" ]] && kill -0 "$job_pid" 2>/dev/null; then
    for pid in $(children "$job_pid"); do kill -KILL "$pid" 2>/dev/null || true; done
    kill -KILL "$job_pid" 2>/dev/null || true
    wait "$job_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

children() {  # PID: its direct children
  cat "/proc/$1/task/$1/children" 2>/dev/null || true
}

# Settings of both jobs: configurations relaxing in ~10^3-10^4 iterations, a checkpoint at every chunk.
schedule='checkpoint_seconds = 0.0
snapshots = 400
se_blocks = 4
batches = 4
window_relaxations = 30
'
cat >"$work/grid.toml" <<EOF
kind = "iso"
description = "kill test grid"
[base]
protocol = "lr"
$schedule
[[axis]]
key = "eta"
log = [3e-3, 3e-2, 3]
[[axis]]
key = "lambda"
log = [1e-2, 1e-1, 3]
EOF
cat >"$work/iso.toml" <<EOF
protocols = ["lr", "elr"]
eta = [3e-3, 3e-2]
eta_eff = [3e-3, 3e-2]
lambda = [1e-2, 1e-1]
$schedule
EOF

# Networks: the synthetic smoke network over two weight decays through the same sweep machinery (kind "train"),
# a checkpoint at every step.
cat >"$work/train-grid.toml" <<EOF
kind = "train"
description = "kill test network grid"
preset = "synthetic-smoke"
[base.train]
checkpoint_seconds = 0.0
[[axis]]
key = "protocol.lambda"
values = [0.01, 0.02]
EOF

sweep_cmd=("$idealgas" sweep "$work/grid.toml" --jobs 2 --quiet --out)
train_cmd=("$idealgas" sweep "$work/train-grid.toml" --jobs 2 --quiet --out)
iso_cmd=("$idealgas" reproduce iso --config "$work/iso.toml" --grid 3 --quiet --out)

# Completed configurations in a folder: sweep -> "done" run folders; reproduce iso -> protocols with a summary.csv.
completed() {  # KIND DIR
  if [[ $1 == sweep || $1 == train ]]; then
    local n=0 f
    for f in "$2"/runs/*/summary.json; do [[ -f "$f" ]] && n=$((n + 1)); done
    echo "$n"
  else
    local n=0 p
    for p in lr elr; do [[ -f "$2/$p/summary.csv" ]] && n=$((n + 1)); done
    echo "$n"
  fi
}

now() { date +%s.%N; }

# Runs KIND into DIR, killing it at random moments (at most MAX_MS ms after each start) until it finishes by itself,
# or until KILLS_LEFT kills are done and it then finishes; prints "starts kills kills_all terms".
killed_run() {  # KIND DIR MAX_MS KILLS_LEFT
  local kind=$1 dir=$2 max_ms=$3 kills_left=$4 starts=0 n_kill=0 n_kill_all=0 n_term=0 before after rc ms mode pid
  local -a cmd
  case $kind in
    sweep) cmd=("${sweep_cmd[@]}" "$dir") ;;
    train) cmd=("${train_cmd[@]}" "$dir") ;;
    *) cmd=("${iso_cmd[@]}" "$dir") ;;
  esac
  before=0
  while true; do
    starts=$((starts + 1))
    "${cmd[@]}" >>"$work/$kind.log" 2>&1 &
    job_pid=$!
    if ((n_kill + n_kill_all + n_term < kills_left)); then
      ms=$((50 + (RANDOM * 32768 + RANDOM) % (max_ms - 49)))
      sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
      if kill -0 "$job_pid" 2>/dev/null; then
        mode=$((RANDOM % 3))
        if ((mode == 0)); then
          kill -KILL "$job_pid" 2>/dev/null && n_kill=$((n_kill + 1))
        elif ((mode == 1)); then
          for pid in $(children "$job_pid"); do kill -KILL "$pid" 2>/dev/null || true; done
          kill -KILL "$job_pid" 2>/dev/null && n_kill_all=$((n_kill_all + 1))
        else
          kill -TERM "$job_pid" 2>/dev/null && n_term=$((n_term + 1))
        fi
      fi
    fi
    rc=0
    wait "$job_pid" || rc=$?
    job_pid=
    after=$(completed "$kind" "$dir")
    ((after >= before)) || fail "$kind: completed work lost: $before configurations done before restart $starts, $after after"
    before=$after
    if ((rc == 0)); then break; fi
    # 137 = SIGKILL, 4 = stopped cleanly by SIGTERM, 143 = SIGTERM before the handler was installed
    [[ $rc == 137 || $rc == 4 || $rc == 143 ]] || fail "$kind: unexpected exit status $rc (log: $work/$kind.log)"
    ((starts < 10 * kills + 50)) || fail "$kind: no progress after $starts starts"
  done
  echo "$starts $n_kill $n_kill_all $n_term"
}

seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Rounds of killed runs of KIND until --kills kills in all; compares each round's FILEs with the reference REF.
# Prints "rounds starts kills kills_all terms seconds".
killed_rounds() {  # KIND REF REF_SECONDS FILE...
  local kind=$1 ref=$2 round=0 starts=0 k=0 ka=0 t=0 r_starts r_k r_ka r_t max_ms t0 ref_seconds f
  ref_seconds=$3
  shift 3
  max_ms=$(awk -v s="$ref_seconds" -v n="$kills" 'BEGIN { m = int(1500 * s / n); print (m < 100 ? 100 : m) }')
  t0=$(now)
  while ((k + ka + t < kills)); do
    round=$((round + 1))
    read -r r_starts r_k r_ka r_t < <(killed_run "$kind" "$work/$kind-cut$round" "$max_ms" $((kills - k - ka - t)))
    starts=$((starts + r_starts)) k=$((k + r_k)) ka=$((ka + r_ka)) t=$((t + r_t))
    for f in "$@"; do compare "$kind $f (round $round)" "$ref/$f" "$work/$kind-cut$round/$f"; done
    [[ -z "$(ls "$work/$kind-cut$round"/runs/*/failure.json 2>/dev/null)" ]] || fail "$kind: a configuration was recorded as failed"
  done
  echo "$round $starts $k $ka $t $(seconds_since "$t0")"
}

compare() {  # WHAT FILE_A FILE_B
  cmp -s "$2" "$3" || fail "$1 differs from the uninterrupted run's: $(diff "$2" "$3" | head -n 4)"
}

t0=$(now)
"${sweep_cmd[@]}" "$work/sweep-ref" >/dev/null 2>&1 || fail "the uninterrupted sweep failed"
t_sweep_ref=$(seconds_since "$t0")
read -r s_rounds s_starts s_kill s_kill_all s_term t_sweep_cut < <(killed_rounds sweep "$work/sweep-ref" "$t_sweep_ref" summary.csv)
rows=$(($(wc -l <"$work/sweep-ref/summary.csv") - 1))

t0=$(now)
"${iso_cmd[@]}" "$work/iso-ref" >/dev/null 2>&1 || fail "the uninterrupted reproduce iso failed"
t_iso_ref=$(seconds_since "$t0")
read -r i_rounds i_starts i_kill i_kill_all i_term t_iso_cut < <(killed_rounds iso "$work/iso-ref" "$t_iso_ref" \
  lr/summary.csv elr/summary.csv lr/checks.json elr/checks.json)

t0=$(now)
"${train_cmd[@]}" "$work/train-ref" >/dev/null 2>&1 || fail "the uninterrupted network sweep failed"
t_train_ref=$(seconds_since "$t0")
read -r n_rounds n_starts n_kill n_kill_all n_term t_train_cut < <(killed_rounds train "$work/train-ref" "$t_train_ref" \
  summary.csv)
# Each network run's own records too: the measurement trace and the running series, bitwise.
for ref_run in "$work"/train-ref/runs/*/; do
  id=$(basename "$ref_run")
  for f in trace.csv running.csv; do
    for cut in "$work"/train-cut*/; do compare "train $id/$f" "$ref_run/$f" "$cut/runs/$id/$f"; done
  done
done

# SIGTERM during long work (issue 18): a training run in the middle of a log point of 2000 fresh batches, and a sweep
# while it plans a grid of 10^6 configurations. Each must exit 4 within 5 s; the training run resumes to the
# uninterrupted run's trace.csv and running.csv bitwise; the sweep has written nothing (rerunning plans afresh).
term_latency() {  # LOG READY CMD...: starts CMD, waits for the file READY (at most 10 s) and 1.5 s more, SIGTERMs it;
  local log=$1 ready=$2 t_sig rc=0  # prints "rc seconds-from-signal-to-exit"
  shift 2
  "$@" >"$log" 2>&1 &
  job_pid=$!
  for _ in $(seq 400); do [[ -e "$ready" ]] && break; sleep 0.025; done
  sleep 1.5
  kill -0 "$job_pid" 2>/dev/null || fail "$* ended before the signal (log: $log)"
  t_sig=$(now)
  kill -TERM "$job_pid"
  wait "$job_pid" || rc=$?
  job_pid=
  echo "$rc $(seconds_since "$t_sig")"
}
logpoint_cmd=("$idealgas" train --preset synthetic-smoke --quiet --set train.iterations=400 --set train.batch_size=8
  --set measure.log_dense_stride=200 --set measure.log_dense_until=400 --set measure.log_points=0
  --set measure.fresh_batches=2000 --set measure.queue_size=10 --set measure.decorrelated_queue_size=10 --out)
"${logpoint_cmd[@]}" "$work/logpoint-ref" >/dev/null 2>&1 || fail "the uninterrupted training run failed"
read -r lp_rc lp_s < <(term_latency "$work/logpoint.log" "$work/logpoint-cut/checkpoint.bin" \
  "${logpoint_cmd[@]}" "$work/logpoint-cut")
[[ $lp_rc == 4 ]] || fail "train: SIGTERM during a log point gave exit $lp_rc, not 4 ($(tail -n 1 "$work/logpoint.log"))"
grep -q "saved at iteration 200 of 400" "$work/logpoint.log" ||
  fail "train: the signal did not land in the log point at 200: $(tail -n 1 "$work/logpoint.log")"
awk -v s="$lp_s" 'BEGIN { exit !(s < 5) }' || fail "train: exit 4 came ${lp_s} s after SIGTERM (limit 5 s)"
"${logpoint_cmd[@]}" "$work/logpoint-cut" >>"$work/logpoint.log" 2>&1 || fail "train: the resumed run failed"
for f in trace.csv running.csv; do compare "train (log point) $f" "$work/logpoint-ref/$f" "$work/logpoint-cut/$f"; done

printf '%s\n' 'kind = "iso"' 'description = "10^6 configurations: SIGTERM while planning"' '[base]' 'protocol = "lr"' \
  '[[axis]]' 'key = "eta"' 'log = [1e-3, 1e-1, 1000]' '[[axis]]' 'key = "lambda"' 'log = [1e-3, 1e-1, 1000]' \
  >"$work/huge-grid.toml"
read -r plan_rc plan_s < <(term_latency "$work/plan.log" "$work/huge-grid.toml" "$idealgas" sweep \
  "$work/huge-grid.toml" --quiet --out "$work/huge")
[[ $plan_rc == 4 ]] || fail "sweep: SIGTERM while planning gave exit $plan_rc, not 4 ($(tail -n 1 "$work/plan.log"))"
awk -v s="$plan_s" 'BEGIN { exit !(s < 5) }' || fail "sweep: exit 4 came ${plan_s} s after SIGTERM (limit 5 s)"
[[ -z "$(ls -A "$work/huge" 2>/dev/null)" ]] ||
  fail "sweep: planning wrote into its folder before it was stopped: $(ls -A "$work/huge")"

echo "PASS: sweep ($rows configurations, 2 workers): $((s_kill + s_kill_all + s_term)) kills" \
  "($s_kill SIGKILL of the sweep, $s_kill_all SIGKILL of the sweep and its jobs, $s_term SIGTERM) over $s_starts starts" \
  "in $s_rounds round(s), ${t_sweep_cut} s (uninterrupted: ${t_sweep_ref} s); every summary.csv bitwise identical to" \
  "the uninterrupted run's, no completed work lost, no configuration failed." \
  "reproduce iso (lr, elr, 3x3 each): $((i_kill + i_kill_all + i_term)) kills ($((i_kill + i_kill_all)) SIGKILL," \
  "$i_term SIGTERM) over $i_starts starts in $i_rounds round(s), ${t_iso_cut} s" \
  "(uninterrupted: ${t_iso_ref} s); summary.csv and checks.json bitwise identical." \
  "network sweep (2 trainings, kind train): $((n_kill + n_kill_all + n_term)) kills ($((n_kill + n_kill_all)) SIGKILL," \
  "$n_term SIGTERM) over $n_starts starts in $n_rounds round(s), ${t_train_cut} s (uninterrupted: ${t_train_ref} s);" \
  "summary.csv and every run's trace.csv and running.csv bitwise identical." \
  "SIGTERM during a log point of 2000 fresh batches: exit 4 after ${lp_s} s, resumed bitwise (trace.csv, running.csv);" \
  "SIGTERM while planning a grid of 10^6 configurations: exit 4 after ${plan_s} s, nothing written. Seed $seed."
