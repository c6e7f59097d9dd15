#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-debian-busybox: milestone 3.  Debian's stock i386 kernel, rewritten
# by ulvm-rewrite (stubs, the default), boots under ulvm as an unprivileged
# user with the busybox initramfs of scripts/build-guest.sh and
# ulvm.demo=selftest, whose /init checks a shell, fork/exec, pipes, signals
# (kill -TERM of a sleeping child, a trap in sh), /proc, a tmpfs mount, a
# loop of 100 processes and the clock (sleep 2 takes about 2 s), one
# "DEMO: selftest ok NAME" line each, then powers off with poweroff -f:
# ulvm must exit 0.  The host also times the sleep from the outside.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
ulvm=$top_builddir/ulvm
rewrite=$top_builddir/ulvm-rewrite

skip() { echo "SKIP: vmm-debian-busybox: $*"; exit 77; }
fail() { echo "FAIL: vmm-debian-busybox: $*"; exit 1; }

[ -x "$ulvm" ] || fail "no $ulvm (build first)"
[ -x "$rewrite" ] || skip "no ulvm-rewrite built"
ls /boot/vmlinuz-*-686 >/dev/null 2>&1 || skip "no Debian i386 kernel (linux-image-686:i386)"

tmp=$(mktemp -d /tmp/ulvm-bb.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM
sh "$top_srcdir/scripts/build-guest.sh" "$tmp/guest" >"$tmp/guest.log" 2>&1 ||
	skip "scripts/build-guest.sh failed: $(tail -n 3 "$tmp/guest.log")"
"$rewrite" -q "$tmp/guest/vmlinuz" -o "$tmp/vmlinux" >"$tmp/rewrite.log" 2>&1 ||
	fail "ulvm-rewrite failed: $(tail -n 3 "$tmp/rewrite.log")"
cp "$ulvm" "$tmp/ulvm"
chmod 755 "$tmp" "$tmp/guest" "$tmp/ulvm"
chmod 644 "$tmp/vmlinux" "$tmp/guest/initramfs.cpio.gz"
if [ "$(id -u)" = 0 ]; then
	command -v runuser >/dev/null 2>&1 || skip "runuser not found"
	runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
	as="runuser -u nobody --"
	who=nobody
else
	as=
	who=$(id -un)
fi

# Timestamp every console line on the host, to time the guest's sleep 2.
start=$(date +%s%N)
{
	$as timeout -k 5 120 "$tmp/ulvm" run --kernel "$tmp/vmlinux" \
		--initrd "$tmp/guest/initramfs.cpio.gz" \
		--append "console=ttyS0 ulvm.demo=selftest" --trace </dev/null 2>"$tmp/err"
	echo $? >"$tmp/rc"
} |
	while IFS= read -r line; do
		printf '%s %s\n' "$(date +%s%N)" "$line"
	done >"$tmp/out"
end=$(date +%s%N)
rc=$(cat "$tmp/rc")
ms=$(( (end - start) / 1000000 ))
cut -d' ' -f2- "$tmp/out" | tr -d '\r' | grep -E 'Run /init|DEMO:|reboot:|Kernel panic|BUG|Oops'
grep -E 'ulvm: (guest|kernel|trace: [0-9]|internal|error)' "$tmp/err"

body() { cut -d' ' -f2- "$tmp/out" | tr -d '\r'; }
body | grep -q 'DEMO: init up' || fail "/init did not run"
body | grep -q 'Kernel panic' && fail "kernel panic"
for t in shell fork-exec pipes kill-term sh-trap proc tmpfs processes sleep; do
	body | grep -q "^DEMO: selftest ok $t\\b" ||
		fail "check $t: $(body | grep "selftest FAIL $t" || echo 'no marker')"
done
body | grep -q '^DEMO: done ok' || fail "no 'done ok': $(body | grep 'DEMO: done')"
body | grep -q '^DEMO: poweroff' || fail "/init did not reach poweroff"
[ "$rc" = 0 ] || fail "ulvm exit status $rc, expected 0 after the guest's poweroff"
grep -q 'ulvm: guest powered off' "$tmp/err" || fail "the exit was not the guest's power-off"

# The host's view of sleep 2: from the marker before it (processes) to the
# sleep marker, which also covers two date calls.
t_a=$(grep ' DEMO: selftest ok processes' "$tmp/out" | cut -d' ' -f1)
t_b=$(grep ' DEMO: selftest ok sleep' "$tmp/out" | cut -d' ' -f1)
host_ms=$(( (t_b - t_a) / 1000000 ))
[ "$host_ms" -ge 1900 ] && [ "$host_ms" -le 4000 ] ||
	fail "sleep 2 took $host_ms ms of host time"
echo "PASS: vmm-debian-busybox: 9 selftest checks, poweroff -f and exit 0 as $who in ${ms} ms;" \
	"sleep 2 = $host_ms ms host time; $(body | sed -n 's/^DEMO: selftest ok processes (\(.*\))/\1/p')"
