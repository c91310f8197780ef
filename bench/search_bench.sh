#!/usr/bin/env bash
#
# bench/search_bench.sh: speed of `logwarden search` over the generated
# 10-million-line bench log, for an order id as a literal and as an
# equivalent --regex pattern, each beside `grep -F -c` / `grep -E -c` on
# the same file.  The commands run interleaved, RUNS times, so that all
# see the same page cache and machine load; medians are reported.  Every
# run checks that logwarden found as many lines as grep counted.
#
# Environment: LOGWARDEN_BIN (default build/daemon/logwarden), LW_GEN
# (default build/bench/lw-gen), BENCH_DIR (scratch, default /tmp/lw-bench),
# RUNS (3), LINES (10000000), SEED (1), ID (the literal, 8007704169), RE
# (the pattern, 'Order 80077041[0-9]{2}\b'), NONE (a literal that is not
# in the log, ZZZNOTTHERE).
set -euo pipefail

me=search_bench.sh
RUNS=${RUNS:-3}
LINES=${LINES:-10000000}
ID=${ID:-8007704169}
RE=${RE:-'Order 80077041[0-9]{2}\b'}
NONE=${NONE:-ZZZNOTTHERE}
. "$(dirname "$0")/lib.sh"

# The same file as bench/run.sh's: the generator is deterministic.
log=$(gen_log "$LINES")
mib=$(($(stat -L -c %s "$log") / 1048576))
cat "$log" >/dev/null		# warm the page cache

# timed NAME CMD...: runs CMD with stdout to $DIR/NAME.out, appends the
# elapsed seconds to $DIR/NAME.times.  grep's status 1 (no line) is fine.
timed() {
	local name=$1 rc=0
	shift
	/usr/bin/time -f %e -o "$DIR/time.out" "$@" >"$DIR/$name.out" \
	    2>"$DIR/$name.err" || rc=$?
	if [ "$rc" -gt 1 ]; then
		tail -5 "$DIR/$name.err" >&2
		die "$name failed with status $rc"
	fi
	tail -1 "$DIR/time.out" >>"$DIR/$name.times"
}

# found NAME: the count logwarden printed ("N lines contain ..."), 0 for
# "no line ...".
found() {
	awk 'NR == 1 { print ($1 == "no") ? 0 : $1; exit }' "$DIR/$1.out"
}

median() {
	sort -n "$DIR/$1.times" | awk '{ v[NR] = $1 } END {
	    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

names="lw_lit grep_F lw_re grep_E lw_none"
for n in $names; do : >"$DIR/$n.times"; done
for i in $(seq "$RUNS"); do
	timed lw_lit "$BIN" search -C 0 "$log" "$ID"
	timed grep_F grep -F -c "$ID" "$log"
	timed lw_re "$BIN" search --regex -C 0 "$log" "$RE"
	timed grep_E grep -E -c "$RE" "$log"
	timed lw_none "$BIN" search -C 0 "$log" "$NONE"
	[ "$(found lw_lit)" = "$(cat "$DIR/grep_F.out")" ] ||
	    die "literal: logwarden found $(found lw_lit), grep $(cat "$DIR/grep_F.out")"
	[ "$(found lw_re)" = "$(cat "$DIR/grep_E.out")" ] ||
	    die "regex: logwarden found $(found lw_re), grep $(cat "$DIR/grep_E.out")"
	echo "run $i: $(for n in $names; do printf '%s %ss  ' "$n" \
	    "$(tail -1 "$DIR/$n.times")"; done)"
done

echo "file: $log ($mib MiB), medians of $RUNS runs"
for n in $names; do
	m=$(median "$n")
	printf '%-8s %6.2f s  %6.0f MiB/s\n' "$n" "$m" \
	    "$(awk -v s="$mib" -v t="$m" 'BEGIN { r = 0; if (t > 0) r = s / t; print r }')"
done
