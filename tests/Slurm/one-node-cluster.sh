#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for GridTime's integration test, from Debian's packages.
#
#   one-node-cluster.sh start DIR   installs slurm-wlm and munge with apt when missing (needs root), writes
#                                   DIR/slurm.conf, starts munged, slurmctld and slurmd with their state, logs and
#                                   pid files in DIR, and waits until the node is idle. Clients then need
#                                   SLURM_CONF=DIR/slurm.conf.
#   one-node-cluster.sh stop DIR    stops exactly the daemons DIR's pid files name (and nothing else).
#
# Made for containers without systemd or cgroups: proctrack/linuxproc, task/none, select/cons_tres with
# CR_Core (so tasks share the node's memory and run side by side), no accounting, jobcomp/filetxt. The
# controller and the node listen on 127.0.0.1 at ports of their own, munged on a socket in DIR, so a cluster
# already on the machine is not touched.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1
dir=$2

stop_pid_file() {
  # Stops the process a pid file names if it still runs the expected program; waits up to 10 s, then kills it.
  local file=$1 program=$2 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  if [[ -r /proc/$pid/comm && $(cat "/proc/$pid/comm") == "$program"* ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      [[ -e /proc/$pid ]] || break
      sleep 0.2
    done
    if [[ -e /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$file"
}

stop() {
  stop_pid_file "$dir/slurmd.pid" slurmd
  stop_pid_file "$dir/slurmctld.pid" slurmctld
  stop_pid_file "$dir/munge/munged.pid" munged
}

start() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "$0: starting a Slurm cluster needs root (slurmd runs jobs as their users)" >&2
    exit 1
  fi

  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    command -v apt-get >/dev/null || { echo "$0: slurm-wlm is not installed and there is no apt-get to install it" >&2; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  fi

  # munge's key: Debian's package makes one; make it if an image removed it.
  if [[ ! -s /etc/munge/munge.key ]]; then
    install -d -o munge -g munge -m 0700 /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi

  # A fresh start every time: saved state of another cluster name would stop slurmctld ("CLUSTER NAME MISMATCH").
  stop
  rm -rf "$dir/state" "$dir/spool"
  mkdir -p "$dir/state" "$dir/spool"
  # munged runs as the munge user: it must be able to reach its socket and log folder inside DIR.
  chmod go+x "$dir"
  install -d -o munge -g munge -m 0755 "$dir/munge"

  local node port
  node=$(slurmd -C | head -n 1)
  port=$((17000 + RANDOM % 2000))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=gridtime-test
SlurmctldHost=$(uname -n | cut -d. -f1)(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
MpiDefault=none
ReturnToService=2
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

  runuser -u munge -- munged --socket="$dir/munge/munge.socket.2" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  slurmctld -f "$dir/slurm.conf"
  slurmd -f "$dir/slurm.conf"

  export SLURM_CONF=$dir/slurm.conf
  for _ in $(seq 1 150); do
    if [[ $(sinfo -h -o %T 2>/dev/null) == idle ]]; then
      echo "one-node Slurm cluster up: SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.2
  done

  echo "$0: the node did not become idle within 30 s; see $dir/slurmctld.log and $dir/slurmd.log" >&2
  stop
  exit 1
}

case $action in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
