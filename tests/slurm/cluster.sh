#!/usr/bin/env bash
# A single-node Slurm cluster (slurmctld + slurmd + munged) living entirely inside one folder, on loopback,
# for tests and development. No systemd, no cgroups, no accounting; works as root or as a normal user (who
# can then run only their own jobs). The settings were measured on Slurm 22.05.8 on Debian 12; why each one is
# there is commented where it is written below. Usage and timings: tests/slurm/README.md.
#
#   cluster.sh start DIR [PORT_BASE]   start a fresh cluster; prints `export SLURM_CONF=DIR/slurm.conf`
#   cluster.sh stop DIR                cancel this cluster's jobs, stop its daemons by recorded PID
#   cluster.sh status DIR              daemons alive?, ports, node state; exit 0 only if all three run
#
# Ports: slurmctld listens on PORT_BASE, slurmd on PORT_BASE+1 (on all addresses, as Slurm always does).
# Without PORT_BASE a free pair is probed in [20000, 29999] (below Linux's ephemeral range) and the start
# is retried on another pair if a daemon still loses the race for it, so two clusters (CI and a developer)
# can run side by side. Each daemon runs in its own session (setsid), so it survives the caller's process
# group being killed (e.g. by `timeout`); `stop` only ever signals the PIDs this script recorded, after
# checking that each still runs that daemon with this folder's paths.
#
# Environment: CLUSTER_START_TIMEOUT (s, default 30), CLUSTER_STOP_TIMEOUT (s, default 10).
set -euo pipefail

readonly DAEMONS=(munged slurmctld slurmd)     # start order
readonly AUTO_PORT_LO=20000 AUTO_PORT_HI=29999  # below net.ipv4.ip_local_port_range's default 32768
readonly AUTO_PORT_ATTEMPTS=3                   # starts tried on fresh auto ports after "Address in use"

die() { echo "cluster.sh: $*" >&2; exit 1; }
note() { echo "cluster.sh: $*" >&2; }
usage() {
  sed -n '7,9p' "$0" | sed 's/^# *//' >&2
  exit 2
}

require_seconds() {  # NAME VALUE
  [[ "$2" =~ ^[1-9][0-9]{0,5}$ ]] || die "$1 must be a whole number of seconds in [1, 999999], got '$2'"
}

# Absolute path of DIR; rejects characters that slurm.conf could not carry verbatim.
absolute_dir() {  # DIR
  local dir=$1
  [[ -n "$dir" ]] || die "DIR must not be empty"
  [[ "$dir" != *[[:space:]\"\'\\\#=]* ]] ||
    die "DIR '$dir' contains whitespace, a quote, '\\', '#' or '='; slurm.conf cannot hold such a path"
  [[ "$dir" == /* ]] || dir="$PWD/$dir"
  echo "$dir"
}

pid_record() { echo "$1/pids/$2"; }

# True if PID runs DAEMON with this cluster's folder on its command line (a recycled PID is never hit).
is_our_daemon() {  # DIR DAEMON PID
  local dir=$1 daemon=$2 pid=$3 cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null </proc/"$pid"/cmdline) || return 1
  [[ "$cmdline" == *"$daemon"* && "$cmdline" == *"$dir/"* ]]
}

recorded_pid() {  # DIR DAEMON: prints the PID if one is recorded and it is still ours
  local file pid
  file=$(pid_record "$1" "$2")
  [[ -f "$file" ]] || return 1
  pid=$(<"$file")
  is_our_daemon "$1" "$2" "$pid" || return 1
  echo "$pid"
}

log_tails() {  # DIR
  local f
  for f in "$1"/log/*.log "$1"/log/*.stdout; do
    [[ -s "$f" ]] || continue
    echo "--- last lines of $f:"
    tail -n 15 "$f"
  done
}

port_in_use() {  # PORT: true if something accepts connections on it (the daemons listen on all addresses)
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_free_port_base() {
  local base tries
  for ((tries = 0; tries < 200; tries++)); do
    base=$((AUTO_PORT_LO + RANDOM % (AUTO_PORT_HI - AUTO_PORT_LO)))
    if ! port_in_use "$base" && ! port_in_use $((base + 1)); then
      echo "$base"
      return 0
    fi
  done
  die "no free port pair found in [$AUTO_PORT_LO, $AUTO_PORT_HI] after 200 probes; pass PORT_BASE"
}

write_slurm_conf() {  # DIR CTLD_PORT SLURMD_PORT
  local dir=$1 ctld_port=$2 slurmd_port=$3 user node_line node
  user=$(id -un)
  # slurmd -C prints this machine's node line as slurmd itself detects it (CPUs, sockets, cores, threads,
  # RealMemory). A node configured above what slurmd detects is drained ("Low socket*core*thread count"),
  # so the detected values are used as they are.
  node_line=$(slurmd -C 2>/dev/null | head -n 1) || true
  [[ "$node_line" == NodeName=* ]] || die "'slurmd -C' did not print a node line (got '$node_line')"
  node=${node_line%% *}
  node=${node#NodeName=}
  cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a single-node test cluster living in $dir.
ClusterName=idealgas-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Without batch_sched_delay=0 arrays take about twice as long.
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# SIGTERM -> SIGKILL grace of cancelled jobs: short, so that stop does not wait 30 s on a stuck job.
KillWait=2
$node_line
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

# Starts DAEMON ARGS... in its own session; stdout/stderr go to DIR/log/DAEMON.stdout so that no caller's
# pipe is held open. The recorded PID is the daemon's own: the background child is not a process-group
# leader, so setsid(1) calls setsid() and execs instead of forking.
spawn() {  # DIR DAEMON ARGS...
  local dir=$1 daemon=$2
  shift 2
  setsid "$@" </dev/null >"$dir/log/$daemon.stdout" 2>&1 &
  echo $! >"$(pid_record "$dir" "$daemon")"
}

# Stops the recorded daemons of DIR: SIGTERM to all at once (each takes ~2 s to exit; one after the
# other would take three times as long), wait, SIGKILL whatever still runs after CLUSTER_STOP_TIMEOUT.
stop_daemons() {  # DIR
  local dir=$1 daemon pid deadline pids=() alive=()
  for daemon in "${DAEMONS[@]}"; do
    if pid=$(recorded_pid "$dir" "$daemon"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  deadline=$((SECONDS + ${CLUSTER_STOP_TIMEOUT:-10}))
  while true; do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]} > 0 && SECONDS < deadline)) || break
    sleep 0.1
  done
  for pid in "${alive[@]}"; do
    note "PID $pid ignored SIGTERM for ${CLUSTER_STOP_TIMEOUT:-10} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
  for daemon in "${DAEMONS[@]}"; do rm -f "$(pid_record "$dir" "$daemon")"; done
}

# Cancels every job of this cluster (a job's slurmstepd runs in its own session and outlives slurmd by
# design, so jobs left running would outlive the cluster) and waits until none is left.
cancel_jobs() {  # DIR
  local dir=$1 deadline
  recorded_pid "$dir" slurmctld >/dev/null || return 0
  export SLURM_CONF="$dir/slurm.conf"
  [[ -n "$(timeout 5 squeue -h -o %i 2>/dev/null)" ]] || return 0
  timeout 5 scancel --user="$(id -un)" 2>/dev/null || true
  deadline=$((SECONDS + ${CLUSTER_STOP_TIMEOUT:-10}))
  while [[ -n "$(timeout 5 squeue -h -o %i 2>/dev/null)" ]] && ((SECONDS < deadline)); do sleep 0.2; done
}

cmd_stop() {  # DIR
  local dir
  dir=$(absolute_dir "$1")
  [[ -d "$dir/pids" ]] || { note "no cluster recorded in $dir (nothing to stop)"; return 0; }
  require_seconds CLUSTER_STOP_TIMEOUT "${CLUSTER_STOP_TIMEOUT:-10}"
  cancel_jobs "$dir"
  stop_daemons "$dir"
  note "stopped the cluster in $dir"
}

cmd_status() {  # DIR
  local dir daemon pid all_up=0
  dir=$(absolute_dir "$1")
  [[ -f "$dir/slurm.conf" ]] || die "no cluster in $dir (no slurm.conf)"
  for daemon in "${DAEMONS[@]}"; do
    if pid=$(recorded_pid "$dir" "$daemon"); then
      echo "$daemon: running (PID $pid)"
    else
      echo "$daemon: not running"
      all_up=1
    fi
  done
  grep -E '^Slurm(ctld|d)Port=' "$dir/slurm.conf"
  if ((all_up == 0)); then
    echo "node: $(SLURM_CONF="$dir/slurm.conf" timeout 5 sinfo -h -o %T 2>&1 || true)"
    echo "export SLURM_CONF=$dir/slurm.conf"
  fi
  return $all_up
}

# Stops what a failed start left running and dies with MESSAGE after the daemons' log tails.
abort_start() {  # DIR MESSAGE
  log_tails "$1" >&2
  cmd_stop "$1" 2>/dev/null
  die "$2"
}

# One start attempt on the given ports. Returns 0 when the node is idle, 3 when a daemon died of
# "Address already in use" (the caller may retry on other ports), and dies on any other failure.
start_once() {  # DIR CTLD_PORT
  local dir=$1 ctld_port=$2 deadline daemon state="" starting_pid
  # A fresh state folder each time: job ids start at 1 and no job of an earlier run comes back.
  rm -rf "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge"
  mkdir -p "$dir/state" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge" "$dir/pids"
  chmod 755 "$dir/munge"  # munged refuses a socket folder without execute permission for all
  write_slurm_conf "$dir" "$ctld_port" $((ctld_port + 1))
  deadline=$((SECONDS + ${CLUSTER_START_TIMEOUT:-30}))

  mungekey --create --force --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 ||
    abort_start "$dir" "mungekey could not create $dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  spawn "$dir" munged munged -F --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --log-file="$dir/log/munged.log" --pid-file="$dir/run/munged.pid" --seed-file="$dir/munge/munged.seed"
  until [[ -S "$dir/munge/munge.socket" ]]; do
    recorded_pid "$dir" munged >/dev/null || abort_start "$dir" "munged exited during start (logs above)"
    ((SECONDS < deadline)) ||
      abort_start "$dir" "munged did not create its socket within ${CLUSTER_START_TIMEOUT:-30} s (logs above)"
    sleep 0.05
  done

  spawn "$dir" slurmctld slurmctld -D -f "$dir/slurm.conf"
  spawn "$dir" slurmd slurmd -D -f "$dir/slurm.conf"
  export SLURM_CONF="$dir/slurm.conf"
  while true; do
    for daemon in slurmctld slurmd; do
      recorded_pid "$dir" "$daemon" >/dev/null && continue
      # Just spawned under load, the forked shell may not have exec'd the daemon yet (its command line is still the
      # shell's, so it is not recognised as ours): still starting while that process lives and is not a zombie.
      starting_pid=$(<"$(pid_record "$dir" "$daemon")")
      state=$(ps -o stat= -p "$starting_pid" 2>/dev/null || true)
      [[ -n "$state" && "$state" != Z* ]] && ((SECONDS < deadline)) && continue
      if grep -qs "Address already in use" "$dir/log/$daemon.log" "$dir/log/$daemon.stdout"; then
        cmd_stop "$dir" 2>/dev/null
        return 3
      fi
      abort_start "$dir" "$daemon exited during start (logs above)"
    done
    state=$(timeout 5 sinfo -h -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && return 0
    ((SECONDS < deadline)) || abort_start "$dir" \
      "node not idle within ${CLUSTER_START_TIMEOUT:-30} s (sinfo says '${state:-nothing}'; logs above)"
    sleep 0.1
  done
}

cmd_start() {  # DIR [PORT_BASE]
  local dir port_base=$2 parent program pid port base attempt rc
  require_seconds CLUSTER_START_TIMEOUT "${CLUSTER_START_TIMEOUT:-30}"
  require_seconds CLUSTER_STOP_TIMEOUT "${CLUSTER_STOP_TIMEOUT:-10}"
  for program in munged mungekey slurmctld slurmd sinfo squeue scancel setsid; do
    command -v "$program" >/dev/null ||
      die "'$program' not found on PATH; install Debian's slurmctld slurmd slurm-client munge (scripts/setup.sh)"
  done
  if [[ -n "$port_base" ]]; then
    [[ "$port_base" =~ ^[1-9][0-9]{0,4}$ ]] && ((port_base >= 1024 && port_base <= 65534)) ||
      die "PORT_BASE must be a whole number in [1024, 65534] (slurmctld uses it, slurmd the next), got '$port_base'"
  fi
  dir=$(absolute_dir "$1")
  # munged refuses a socket unless every enclosing folder is executable by all ("Socket is inaccessible"):
  # the existing parents are checked here; DIR itself (often mktemp's mode 700) is ours to open up.
  parent=$dir
  while [[ "$parent" != / ]]; do
    parent=$(dirname "$parent")
    [[ -d "$parent" ]] || continue
    (($(stat -c %#a "$parent") & 8#001)) ||
      die "folder $parent is not executable by all users (mode $(stat -c %a "$parent")); munged refuses a socket below it; put DIR elsewhere (e.g. under /tmp)"
  done
  for program in "${DAEMONS[@]}"; do
    if pid=$(recorded_pid "$dir" "$program"); then
      die "a cluster already runs in $dir ($program PID $pid); run 'cluster.sh stop $dir' first"
    fi
  done
  if [[ -n "$port_base" ]]; then
    for port in "$port_base" $((port_base + 1)); do
      ! port_in_use "$port" ||
        die "port $port (from PORT_BASE $port_base) is already in use; choose another PORT_BASE or omit it"
    done
  fi
  mkdir -p "$dir" || die "cannot create $dir"
  chmod go+x "$dir"

  for ((attempt = 1; attempt <= AUTO_PORT_ATTEMPTS; attempt++)); do
    base=${port_base:-$(pick_free_port_base)}
    rc=0
    start_once "$dir" "$base" || rc=$?
    if ((rc == 0)); then
      note "cluster up in $dir (slurmctld port $base, slurmd port $((base + 1)))"
      echo "export SLURM_CONF=$dir/slurm.conf"
      return 0
    fi
    [[ -z "$port_base" ]] ||
      die "port $base or $((base + 1)) was taken while the daemons started; choose another PORT_BASE"
    note "ports $base/$((base + 1)) were taken while the daemons started; retrying on another pair"
  done
  die "no start succeeded in $AUTO_PORT_ATTEMPTS attempts (\"Address already in use\" each time)"
}

(($# >= 2)) || usage
case "$1" in
  start) (($# <= 3)) || usage; cmd_start "$2" "${3:-}" ;;
  stop) (($# == 2)) || usage; cmd_stop "$2" ;;
  status) (($# == 2)) || usage; cmd_status "$2" ;;
  *) usage ;;
esac
