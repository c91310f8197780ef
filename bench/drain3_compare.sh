#!/bin/sh
# drain3_compare: messages/s of Drain3 and of logwarden's miner on the same
# file, side by side in one run.  Drain3 is never part of the project: put
# a checkout of it in a scratch folder outside the tree and point DRAIN3_DIR
# at it (it needs Debian's python3-jsonpickle and python3-cachetools).
#
#   DRAIN3_DIR=/tmp/drain3 bench/drain3_compare.sh FILE [LW_MINER_SPEED]
set -eu

file=${1:?usage: DRAIN3_DIR=dir drain3_compare.sh FILE [lw-miner-speed]}
lw=${2:-build/bench/lw-miner-speed}
: "${DRAIN3_DIR:?set DRAIN3_DIR to a Drain3 checkout outside the project}"

echo "== logwarden (lw_mask + clustering, median of 5)"
"$lw" --bench "$file" --cluster

echo "== Drain3 (TemplateMiner.add_log_message, one run)"
PYTHONPATH=$DRAIN3_DIR /usr/bin/python3 - "$file" <<'PY'
import sys, time
from drain3 import TemplateMiner
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
m = TemplateMiner()
t0 = time.monotonic()
for l in lines:
    m.add_log_message(l)
dt = time.monotonic() - t0
print("%d lines, %d clusters, %.3f s, %.0f messages/s"
      % (len(lines), len(m.drain.clusters), dt, len(lines) / dt))
PY
