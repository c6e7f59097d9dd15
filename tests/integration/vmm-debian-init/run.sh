#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-debian-init: Debian's stock i386 kernel, rewritten by ulvm-rewrite
# --traps-only, boots under ulvm as an unprivileged user with the busybox
# initramfs of scripts/build-guest.sh, runs its /init (ring 3, system calls
# through Syscall User Dispatch, glibc TLS through %gs) and powers off: ulvm
# must exit 0.  ulvm hands Linux the host TSC rate (tsc_early_khz=), so the
# TSC must end up the clocksource.  The demo network is not there yet (no
# virtio device), which /init reports and the test ignores.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
ulvm=$top_builddir/ulvm
rewrite=$top_builddir/ulvm-rewrite

skip() { echo "SKIP: vmm-debian-init: $*"; exit 77; }
fail() { echo "FAIL: vmm-debian-init: $*"; exit 1; }

[ -x "$ulvm" ] || fail "no $ulvm (build first)"
[ -x "$rewrite" ] || skip "no ulvm-rewrite built"
ls /boot/vmlinuz-*-686 >/dev/null 2>&1 || skip "no Debian i386 kernel (linux-image-686:i386)"

tmp=$(mktemp -d /tmp/ulvm-init.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM
sh "$top_srcdir/scripts/build-guest.sh" "$tmp/guest" >"$tmp/guest.log" 2>&1 ||
	skip "scripts/build-guest.sh failed: $(tail -n 2 "$tmp/guest.log")"
"$rewrite" -q --traps-only "$tmp/guest/vmlinuz" -o "$tmp/vmlinux" >"$tmp/rewrite.log" 2>&1 ||
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

start=$(date +%s%N)
$as timeout -k 5 120 "$tmp/ulvm" run --kernel "$tmp/vmlinux" \
	--initrd "$tmp/guest/initramfs.cpio.gz" --append "console=ttyS0" --trace \
	</dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
grep -E 'Linux version|Kernel command line|Switched to clocksource|Run /init|DEMO:|reboot:|Kernel panic' "$tmp/out"
grep -E 'ulvm: (guest|trace: [0-9])' "$tmp/err"

grep -q 'Run /init as init process' "$tmp/out" || fail "init never started (exit $rc)"
grep -q 'DEMO: init up' "$tmp/out" || fail "/init did not run in user mode (exit $rc)"
grep -q 'Kernel panic' "$tmp/out" && fail "kernel panic"
tr -d '\r' <"$tmp/out" | grep -q 'Switched to clocksource tsc$' ||
	fail "the TSC clocksource was not used (tsc_early_khz from ulvm)"
[ "$rc" = 0 ] || fail "ulvm exit status $rc, expected 0 after the guest's poweroff"
echo "PASS: vmm-debian-init: Debian kernel to busybox /init and power-off as $who in ${ms} ms"
