#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-debian-early: Debian's stock i386 kernel, rewritten by ulvm-rewrite
# --traps-only, boots under ulvm (unprivileged) far enough to show that the
# boot protocol, paging, the trap path, the PIT/PIC timer interrupt and the
# 8250 console all work: its banner, "console [ttyS0] enabled" and a delay
# loop calibrated against timer interrupts.  It cannot reach init yet, so
# the run is stopped (SIGTERM) once those lines are out, or after 60 s.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../../.." && pwd)}
ulvm=$top_builddir/ulvm
rewrite=$top_builddir/ulvm-rewrite

skip() { echo "SKIP: vmm-debian-early: $*"; exit 77; }
fail() { echo "FAIL: vmm-debian-early: $*"; exit 1; }

[ -x "$ulvm" ] || fail "no $ulvm (build first)"
[ -x "$rewrite" ] || skip "no ulvm-rewrite built"
kernel=$(ls /boot/vmlinuz-*-686 2>/dev/null | head -n 1)
[ -n "$kernel" ] && [ -r "$kernel" ] || skip "no Debian i386 kernel in /boot (linux-image-686:i386)"

tmp=$(mktemp -d /tmp/ulvm-debian.XXXXXX) || fail "mktemp"
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
"$rewrite" -q --traps-only "$kernel" -o "$tmp/vmlinux" >"$tmp/rewrite.log" 2>&1 ||
	fail "ulvm-rewrite failed: $(tail -n 3 "$tmp/rewrite.log")"
cp "$ulvm" "$tmp/ulvm"
chmod 755 "$tmp" "$tmp/ulvm"
chmod 644 "$tmp/vmlinux"
if [ "$(id -u)" = 0 ]; then
	command -v runuser >/dev/null 2>&1 || skip "runuser not found"
	runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
	as="runuser -u nobody --"
	who=nobody
else
	as=
	who=$(id -un)
fi

start=$(date +%s%N)
$as "$tmp/ulvm" run --kernel "$tmp/vmlinux" --append "console=ttyS0" --trace \
	</dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
while [ $i -lt 600 ]; do
	grep -q 'BogoMIPS' "$tmp/out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
end=$(date +%s%N)
# runuser forwards SIGTERM to ulvm, which exits with 143 and its trace
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
ms=$(( (end - start) / 1000000 ))
sed -n '1,400p' "$tmp/out" | grep -E 'Linux version|console \[ttyS0\]|Calibrating|BogoMIPS|PANIC|Oops|general protection' | head -n 20
grep -E 'trace: ' "$tmp/err" | head -n 14

grep -q 'Linux version 6' "$tmp/out" || fail "no kernel banner (exit $rc): $(tail -n 3 "$tmp/err")"
grep -q 'printk: console \[ttyS0\] enabled' "$tmp/out" || fail "the 8250 console never came up"
grep -q 'Calibrating delay loop.*BogoMIPS' "$tmp/out" || fail "no timer-calibrated delay loop"
grep -q 'PANIC: early exception' "$tmp/out" && fail "early exception"
[ "$rc" = 143 ] || [ "$rc" = 0 ] || fail "ulvm exit status $rc, expected 143 after SIGTERM"
echo "PASS: vmm-debian-early: rewritten $(basename "$kernel") boots to a calibrated delay loop as $who in ${ms} ms"
