#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# test.sh - README's test command: install what is needed, build everything
# in build/ with warnings as errors, build the guest images, run every test
# (Check unit tests, integration tests against real peers), print a summary.
#
# Environment: ULVM_SKIP_DEPS=1 skips the package install step;
#              ULVM_BUILD=DIR builds elsewhere than build/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ULVM_BUILD:-$top/build}

if [ "${ULVM_SKIP_DEPS:-0}" != 1 ]; then
	"$top/scripts/install-deps.sh"
fi

cd "$top"
autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
"$top/configure" --enable-werror >/dev/null
make -j"$(nproc)" >/dev/null

# Guest images for the QEMU test and the demo (fast when up to date).
if [ -x "$top/scripts/build-guest.sh" ]; then
	"$top/scripts/build-guest.sh" "$build/guest" >/dev/null
	export ULVM_GUEST_DIR="$build/guest"
fi

status=0
make -j1 check || status=$?

# Summary over every test the harness ran, then the logs of the failures.
pass=0 fail=0 skip=0
while IFS= read -r trs; do
	case $(sed -n 's/^:test-result: //p' "$trs") in
	PASS|XFAIL) pass=$((pass + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); echo "==== ${trs%.trs}.log"; cat "${trs%.trs}.log" ;;
	esac
done < <(find "$build" -name '*.trs' | sort)
echo "---- unit tests:"
grep -h -E '^[0-9]+%: Checks|^[0-9]+ passed, [0-9]+ failed' "$build"/tests/unit/runner.log || true
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$status" = 0 ] && [ "$fail" = 0 ]
