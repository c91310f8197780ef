#!/bin/sh
# drain3_compare: messages/s of Drain3 and of logwarden's miner on the same
# file, side by side in one run.  Drain3 is never part of the project: put
# a checkout of it in a scratch folder outside the tree and point DRAIN3_DIR
# at it (it needs Debian's python3-jsonpickle and python3-cachetools).
# FILE holds one bare message per line (lw-miner-speed --extract makes one
# from a log); both sides get exactly its lines.
#
#   DRAIN3_DIR=/tmp/drain3 bench/drain3_compare.sh FILE [LW_MINER_SPEED]
set -eu

file=${1:?usage: DRAIN3_DIR=dir drain3_compare.sh FILE [lw-miner-speed]}
lw=${2:-build/bench/lw-miner-speed}
: "${DRAIN3_DIR:?set DRAIN3_DIR to a Drain3 checkout outside the project}"
DRAIN3_RUNS=${DRAIN3_RUNS:-1}

# The "messages/s" figure of a lw-miner-speed or Drain3 report.
rate() {
	sed -n 's/.* \([0-9][0-9]*\) messages\/s.*/\1/p' | tail -n 1
}

echo "== logwarden: lw_mask + lw_tmpl_id + store (median of 5)"
out=$("$lw" --bench "$file")
echo "$out"
lw_mask_rate=$(echo "$out" | rate)
echo "== logwarden: lw_mask + clustering + store (median of 5)"
out=$("$lw" --bench "$file" --cluster)
echo "$out"
lw_clu_rate=$(echo "$out" | rate)

echo "== Drain3: TemplateMiner() defaults, add_log_message ($DRAIN3_RUNS run(s), median)"
# Run from a scratch folder so that no drain3.ini of ours is picked up.
out=$(cd "${TMPDIR:-/tmp}" && PYTHONPATH=$DRAIN3_DIR /usr/bin/python3 - \
    "$file" "$DRAIN3_RUNS" 2>/dev/null <<'PY'
import sys, time
from drain3 import TemplateMiner
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
rates = []
for run in range(int(sys.argv[2])):
    m = TemplateMiner()
    t0 = time.monotonic()
    for l in lines:
        m.add_log_message(l)
    dt = time.monotonic() - t0
    rates.append(len(lines) / dt)
    print("run %d: %d lines, %d clusters, %.3f s, %.0f messages/s"
          % (run + 1, len(lines), len(m.drain.clusters), dt, len(lines) / dt))
rates.sort()
print("median: %.0f messages/s" % rates[len(rates) // 2])
PY
)
echo "$out"
d3_rate=$(echo "$out" | rate)

echo "== ratio to Drain3"
awk -v a="$lw_mask_rate" -v b="$lw_clu_rate" -v d="$d3_rate" 'BEGIN {
	printf("mask + id + store:   %.1fx\n", a / d)
	printf("mask + cluster:      %.1fx\n", b / d)
}'
