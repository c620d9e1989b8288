#!/usr/bin/env bash
# Starts a real single-node Slurm cluster on this machine, without systemd, for omicsd's Slurm tests
# (docs/slurm.md, "A cluster for tests"). Needs root and Debian's slurm-wlm and munge packages.
# Everything of the cluster lives under $OMICSD_SLURM_DIR (default /var/tmp/omicsd-slurm); its
# slurm.conf is $OMICSD_SLURM_DIR/slurm.conf, so clients find it through SLURM_CONF:
#   export SLURM_CONF=/var/tmp/omicsd-slurm/slurm.conf
# Idempotent: a cluster that already answers is left as it is. scripts/slurm/stop.sh stops it.
set -euo pipefail
DIR=${OMICSD_SLURM_DIR:-/var/tmp/omicsd-slurm}
CPUS=${OMICSD_SLURM_CPUS:-8}
export SLURM_CONF=$DIR/slurm.conf
mkdir -p "$DIR"
# Test files may start the cluster at the same moment: one at a time. The daemons started below
# must not inherit the lock's descriptor (9>&-), or they would hold the lock for as long as they run.
exec 9>"$DIR/start.lock"
flock 9

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }
node_up() { sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated|completing)$'; }
if alive slurmctld && alive slurmd && node_up; then
  echo "slurm: already running ($SLURM_CONF)"
  exit 0
fi

# munge: the authentication every Slurm daemon and client uses; it runs as user munge, with its
# socket folder owned by it.
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key; }
if ! munge -n </dev/null >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --force 9>&-
  for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
fi

HOST=$(hostname -s)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p "$DIR/state" "$DIR/spool"
# slurmctld exits unless its state and log files belong to SlurmUser.
chown slurm:slurm "$DIR/state"
touch "$DIR/slurmctld.log" "$DIR/jobcomp.log"
chown slurm:slurm "$DIR/slurmctld.log" "$DIR/jobcomp.log"
# The configuration is written only while no daemon of it runs (a restart of one keeps it).
alive slurmctld || alive slurmd || cat >"$SLURM_CONF" <<CONF
ClusterName=omicsd-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
# Without systemd or cgroups: plain process tracking.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, every job takes the node's whole memory and jobs run one at a time.
DefMemPerCPU=512
# The node claims $CPUS CPUs whatever the machine has, so a small CI machine still runs jobs side by side.
SlurmdParameters=config_overrides
# Ended jobs stay visible to squeue/scontrol for an hour: omicsd reads a job's final state there
# when the job ended while omicsd was down.
MinJobAge=3600
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=2
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

alive slurmctld || /usr/sbin/slurmctld -f "$SLURM_CONF" 9>&-
# slurmd started before slurmctld answers hangs and ignores SIGTERM.
for i in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; [ "$i" = 100 ] && { echo "slurm: slurmctld did not come up; see $DIR/slurmctld.log" >&2; exit 1; }; sleep 0.1; done
alive slurmd || /usr/sbin/slurmd -f "$SLURM_CONF" 9>&-
for i in $(seq 100); do node_up && break; [ "$i" = 100 ] && { echo "slurm: the node did not come up; see $DIR/slurmd.log" >&2; sinfo >&2 || true; exit 1; }; sleep 0.1; done
echo "slurm: running (SLURM_CONF=$SLURM_CONF, node $HOST, $CPUS CPUs)"
