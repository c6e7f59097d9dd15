#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-testkern: boot examples/testkern under ulvm as an unprivileged user
# (nobody when run as root) and check that every one of its checks passed,
# that it powered off (exit 0) and how long the whole run took.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../../.." && pwd)}
ulvm=$top_builddir/ulvm
kern=$top_builddir/examples/testkern/testkern

skip() { echo "SKIP: vmm-testkern: $*"; exit 77; }
fail() { echo "FAIL: vmm-testkern: $*"; exit 1; }

[ -x "$ulvm" ] || fail "no $ulvm (build first)"
[ -f "$kern" ] || fail "no $kern (build first)"

# Copy what runs to a directory the unprivileged user can read.
tmp=$(mktemp -d /tmp/ulvm-testkern.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$ulvm" "$kern" "$tmp/" || fail "copy"
chmod 755 "$tmp" "$tmp/ulvm"
chmod 644 "$tmp/testkern"

if [ "$(id -u)" = 0 ]; then
	command -v runuser >/dev/null 2>&1 || skip "runuser not found"
	runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
	as() { runuser -u nobody -- "$@"; }
	who=nobody
else
	as() { "$@"; }
	who=$(id -un)
fi

start=$(date +%s%N)
as timeout 30 "$tmp/ulvm" run --kernel "$tmp/testkern" --trace \
	</dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))

cat "$tmp/out"
sed 's/^/stderr: /' "$tmp/err"

[ "$rc" = 0 ] || fail "ulvm exited with status $rc (as $who)"
grep -q '^testkern: rep outsb reaches the console' "$tmp/out" ||
	fail "string output through rep outsb missing"
grep -q 'FAIL' "$tmp/out" && fail "a testkern check failed"
n=$(sed -n 's/^testkern: all \([0-9][0-9]*\) checks passed.*/\1/p' "$tmp/out")
[ -n "$n" ] || fail "no 'all N checks passed' line"
[ "$n" -ge 40 ] || fail "only $n checks ran"
grep -q 'guest powered off' "$tmp/err" || fail "exit was not a guest power-off"
grep -q 'trace: .*emulated instruction' "$tmp/err" || fail "--trace printed no trap counts"
echo "PASS: vmm-testkern: all $n checks passed as $who, exit 0, ${ms} ms wall"
