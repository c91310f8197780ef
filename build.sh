#!/bin/sh
# build.sh: install what is missing (Debian 12, as root), build, and then
#   ./build.sh demo   run `logwarden demo`
#   ./build.sh test   run the whole test suite, plain and under ASan+UBSan
#   ./build.sh        just build
set -eu
cd "$(dirname "$0")"

PKGS="build-essential cmake pkg-config libev-dev libinih-dev libcjson-dev
libcurl4-openssl-dev libsqlite3-dev libpcre2-dev libcmocka-dev zlib1g-dev
python3 python3-aiosmtpd openssl time"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2

case "${1:-}" in
demo)
	exec ./build/daemon/logwarden demo
	;;
test)
	ctest --test-dir build --output-on-failure
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLW_SANITIZE=ON
	cmake --build build-asan -j2
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --test-dir build-asan --output-on-failure
	;;
"")
	;;
*)
	echo "usage: $0 [demo|test]" >&2
	exit 2
	;;
esac
