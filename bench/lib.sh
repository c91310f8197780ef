# bench/lib.sh: what the shell benchmarks share, sourced after they set
# `me` (their name for messages) and RUNS: the binaries and the scratch
# directory from the environment, checked (a gigabyte of log must never
# land in the source tree), /usr/bin/time, and the generated log.
#
# Environment: LOGWARDEN_BIN (default build/daemon/logwarden), LW_GEN
# (default build/bench/lw-gen), BENCH_DIR (default /tmp/lw-bench), SEED.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${LOGWARDEN_BIN:-$root/build/daemon/logwarden}
GEN=${LW_GEN:-$root/build/bench/lw-gen}
DIR=${BENCH_DIR:-/tmp/lw-bench}
SEED=${SEED:-1}

die() { echo "$me: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "no logwarden binary at $BIN (set LOGWARDEN_BIN)"
[ -x "$GEN" ] || die "no generator at $GEN (build target lw-gen, or set LW_GEN)"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
DIR=$(realpath -m "$DIR")
case "$DIR/" in
"$root"/*) die "BENCH_DIR $DIR is inside the repository $root" ;;
esac
mkdir -p "$DIR"

if [ ! -x /usr/bin/time ]; then
	echo "installing /usr/bin/time (Debian package 'time')" >&2
	if [ "$(id -u)" -eq 0 ]; then
		apt-get install -y time >/dev/null
	else
		sudo apt-get install -y time >/dev/null
	fi
fi

# gen_log N: prints the path of an N-line log, generating it once.  The
# generator is deterministic, so a file of the same name is the same log;
# it is written under a temporary name so that an interrupted run leaves
# nothing that looks complete.
gen_log() {
	local f="$DIR/bot-$1-s$SEED.log"
	if [ ! -s "$f" ]; then
		echo "generating $1 lines into $f" >&2
		"$GEN" -n "$1" -s "$SEED" -o "$f.tmp"
		mv "$f.tmp" "$f"
	fi
	echo "$f"
}
