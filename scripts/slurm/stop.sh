#!/usr/bin/env bash
# Stops the cluster scripts/slurm/start.sh started: its jobs, slurmd, slurmctld (munged stays: other
# software on the machine may use it). Leaves $OMICSD_SLURM_DIR in place for its logs.
set -uo pipefail
DIR=${OMICSD_SLURM_DIR:-/var/tmp/omicsd-slurm}
export SLURM_CONF=$DIR/slurm.conf
[ -f "$SLURM_CONF" ] || exit 0
scancel --user root --full 2>/dev/null || true
for daemon in slurmd slurmctld; do
  pidfile=$DIR/$daemon.pid
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
done
echo "slurm: stopped"
