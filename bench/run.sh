#!/usr/bin/env bash
#
# bench/run.sh: throughput and memory of `logwarden run --once` over a
# generated 10-million-line trading-bot log, with `grep -c ERROR` on the
# same file as the yardstick.  Runs are interleaved so that both see the
# same page cache and machine load; medians are reported.
#
# Environment: LOGWARDEN_BIN (default build/daemon/logwarden), LW_GEN
# (default build/bench/lw-gen), BENCH_DIR (scratch, default /tmp/lw-bench),
# RUNS (5), LINES (10000000), SMALL_LINES (1000000), SEED (1).
set -euo pipefail

me=run.sh
RUNS=${RUNS:-5}
LINES=${LINES:-10000000}
SMALL=${SMALL_LINES:-1000000}
. "$(dirname "$0")/lib.sh"

# write_conf CONF LOG STATEDIR: the config of one logwarden run.
write_conf() {
	cat >"$1" <<EOF
; written by bench/run.sh
[source]
path = $2

[state]
dir = $3

[llm]
enabled = no

[alerts]
jsonl = $DIR/alerts.jsonl

[metric.latency]
pattern = latency_ms=([0-9.]+)
above = 500
EOF
}

# timed OUT ERR CMD...: runs CMD under /usr/bin/time and prints
# "elapsed_seconds max_rss_kib".  A failing command ends the benchmark.
timed() {
	local out=$1 err=$2 tf="$DIR/time.out" rc=0
	shift 2
	/usr/bin/time -f '%e %M' -o "$tf" "$@" >"$out" 2>"$err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "run.sh: '$*' exited with $rc; its stderr ends:" >&2
		tail -n 20 "$err" >&2
		exit 1
	fi
	# On failure time(1) adds a line first; the figures are the last.
	tail -n 1 "$tf"
}

# run_lw LOG: one `run --once` from an empty state dir.
run_lw() {
	local state="$DIR/state"
	rm -rf "$state" "$DIR/alerts.jsonl"
	mkdir -p "$state"
	write_conf "$DIR/bench.ini" "$1" "$state"
	timed "$DIR/lw.out" "$DIR/lw.err" "$BIN" -c "$DIR/bench.ini" run --once
}

# median: of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 }
	    END { if (NR % 2) print v[(NR + 1) / 2];
		  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

big=$(gen_log "$LINES")
small=$(gen_log "$SMALL")
nbig=$(wc -l <"$big")
bytes=$(stat -c %s "$big")
# Read the file once so that the first timed run does not pay for the disk.
cat "$big" >/dev/null

echo "logwarden: $BIN"
echo "log:       $big ($nbig lines, $((bytes / 1048576)) MiB)"
echo "machine:   $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo

: >"$DIR/grep.times"
: >"$DIR/lw.times"
for i in $(seq 1 "$RUNS"); do
	# Assignments, not process substitution, so that a failure stops
	# the script (set -e).
	res=$(timed "$DIR/grep.out" "$DIR/grep.err" grep -c ERROR "$big")
	read -r ge gm <<<"$res"
	res=$(run_lw "$big")
	read -r le lm <<<"$res"
	nalerts=0
	[ -f "$DIR/alerts.jsonl" ] && nalerts=$(wc -l <"$DIR/alerts.jsonl")
	echo "$ge $gm" >>"$DIR/grep.times"
	echo "$le $lm" >>"$DIR/lw.times"
	awk -v i="$i" -v n="$nbig" -v ge="$ge" -v gm="$gm" -v le="$le" \
	    -v lm="$lm" -v na="$nalerts" -v gc="$(cat "$DIR/grep.out")" 'BEGIN {
		printf "run %d: grep %6.2f s %7.2f Mlines/s %7.1f MiB (%d ERROR lines) | " \
		    "logwarden %6.2f s %7.2f Mlines/s %7.1f MiB (%d alerts)\n",
		    i, ge, (ge > 0 ? n / ge / 1e6 : 0), gm / 1024, gc,
		    le, (le > 0 ? n / le / 1e6 : 0), lm / 1024, na }'
done

ge=$(cut -d' ' -f1 "$DIR/grep.times" | median)
le=$(cut -d' ' -f1 "$DIR/lw.times" | median)
lmed=$(cut -d' ' -f2 "$DIR/lw.times" | median)
lmax=$(cut -d' ' -f2 "$DIR/lw.times" | sort -g | tail -n 1)
gmax=$(cut -d' ' -f2 "$DIR/grep.times" | sort -g | tail -n 1)
echo
awk -v n="$nbig" -v ge="$ge" -v le="$le" -v lmed="$lmed" -v lmax="$lmax" \
    -v gmax="$gmax" -v r="$RUNS" 'BEGIN {
	# time(1) prints 0.00 for runs under 5 ms; keep the division defined.
	if (ge <= 0) ge = 0.01; if (le <= 0) le = 0.01
	printf "median of %d runs:\n", r
	printf "  grep -c ERROR    %8.2f s  %10.0f lines/s  peak RSS %7.1f MiB\n",
	    ge, n / ge, gmax / 1024
	printf "  logwarden --once %8.2f s  %10.0f lines/s  peak RSS %7.1f MiB (median %.1f)\n",
	    le, n / le, lmax / 1024, lmed / 1024
	printf "  logwarden / grep throughput: %.3f", ge / le
	if (le >= ge) printf " (grep is %.1fx faster)\n", le / ge
	else printf " (logwarden is %.1fx faster)\n", ge / le }'

# Memory must not follow the file's length: same config, 1 M vs 10 M.
echo
res=$(run_lw "$small")
read -r se sm <<<"$res"
res=$(run_lw "$big")
read -r be bm <<<"$res"
nsmall=$(wc -l <"$small")
awk -v ns="$nsmall" -v nb="$nbig" -v se="$se" -v sm="$sm" -v be="$be" \
    -v bm="$bm" 'BEGIN {
	printf "RSS vs file length:\n"
	printf "  %9d lines  %6.2f s  peak RSS %7.1f MiB\n", ns, se, sm / 1024
	printf "  %9d lines  %6.2f s  peak RSS %7.1f MiB\n", nb, be, bm / 1024
	printf "  %.1fx the lines, %.2fx the memory\n", nb / ns, (sm > 0 ? bm / sm : 0) }'
