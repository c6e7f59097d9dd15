#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-debian-init: Debian's stock i386 kernel, rewritten by ulvm-rewrite
# twice -- --traps-only (every site an int3) and by default (stubs: the
# virtual IF in the vCPU page, monitor calls through the far-call
# trampoline, rewriter/vcpu_abi.h) -- boots under ulvm as an unprivileged
# user with the busybox initramfs of scripts/build-guest.sh, runs its /init
# (ring 3, system calls through Syscall User Dispatch, glibc TLS through
# %gs) and powers off: ulvm must exit 0 both times.  ulvm hands Linux the
# host TSC rate (tsc_early_khz=), so the TSC must end up the clocksource.
# The stub image must trap far less than the traps-only one.  The demo
# network is not there yet (no virtio device), which /init reports and the
# test ignores.
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
	skip "scripts/build-guest.sh failed: $(tail -n 3 "$tmp/guest.log")"
"$rewrite" -q --traps-only "$tmp/guest/vmlinuz" -o "$tmp/vmlinux-traps" >"$tmp/rewrite.log" 2>&1 ||
	fail "ulvm-rewrite --traps-only failed: $(tail -n 3 "$tmp/rewrite.log")"
"$rewrite" -q "$tmp/guest/vmlinuz" -o "$tmp/vmlinux-stubs" >"$tmp/rewrite2.log" 2>&1 ||
	fail "ulvm-rewrite failed: $(tail -n 3 "$tmp/rewrite2.log")"
cp "$ulvm" "$tmp/ulvm"
chmod 755 "$tmp" "$tmp/guest" "$tmp/ulvm"
chmod 644 "$tmp/vmlinux-traps" "$tmp/vmlinux-stubs" "$tmp/guest/initramfs.cpio.gz"
if [ "$(id -u)" = 0 ]; then
	command -v runuser >/dev/null 2>&1 || skip "runuser not found"
	runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
	as="runuser -u nobody --"
	who=nobody
else
	as=
	who=$(id -un)
fi

# boot IMAGE-KIND: run it, check it, set ms, traps and init_s
boot() {
	kind=$1
	out=$tmp/out-$kind
	err=$tmp/err-$kind
	start=$(date +%s%N)
	$as timeout -k 5 120 "$tmp/ulvm" run --kernel "$tmp/vmlinux-$kind" \
		--initrd "$tmp/guest/initramfs.cpio.gz" --append "console=ttyS0" --trace \
		</dev/null >"$out" 2>"$err"
	rc=$?
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	echo "--- $kind image"
	grep -E 'Linux version|Kernel command line|Switched to clocksource|Run /init|DEMO:|reboot:|Kernel panic' "$out"
	grep -E 'ulvm: (guest|kernel|trace: [0-9])' "$err"

	grep -q 'Run /init as init process' "$out" || fail "$kind: init never started (exit $rc)"
	grep -q 'DEMO: init up' "$out" || fail "$kind: /init did not run in user mode (exit $rc)"
	grep -q 'Kernel panic' "$out" && fail "$kind: kernel panic"
	# tsc-early is the clocksource made from tsc_early_khz; the switch to
	# the refined "tsc" comes from a delayed work that, on a loaded host,
	# does not always run before the guest powers off
	tr -d '\r' <"$out" | grep -Eq 'Switched to clocksource tsc(-early)?$' ||
		fail "$kind: the TSC clocksource was not used (tsc_early_khz from ulvm)"
	[ "$rc" = 0 ] || fail "$kind: ulvm exit status $rc, expected 0 after the guest's poweroff"
	traps=$(sed -n 's/^ulvm: trace: \([0-9][0-9]*\) traps in.*/\1/p' "$err")
	init_s=$(tr -d '\r' <"$out" | sed -n 's/^\[ *\([0-9.]*\)\] Run \/init as init process.*/\1/p')
}

boot traps
ms_t=$ms traps_t=$traps init_t=$init_s
boot stubs
ms_s=$ms traps_s=$traps init_s_=$init_s
grep -q 'reservetop=16M' "$tmp/out-stubs" || fail "stubs: reservetop=16M not on the kernel command line"
calls=$(sed -n 's/^ulvm: trace: \([0-9][0-9]*\) monitor calls from stubs.*/\1/p' "$tmp/err-stubs")
[ "${calls:-0}" -gt 0 ] || fail "stubs: no monitor call made"
[ -n "$traps_t" ] && [ -n "$traps_s" ] && [ $((traps_s * 4)) -lt "$traps_t" ] ||
	fail "stubs trap too much: ${traps_s:-?} traps vs ${traps_t:-?} with --traps-only"
echo "PASS: vmm-debian-init: Debian kernel to busybox /init and power-off as $who:" \
	"traps-only ${ms_t} ms wall, /init at ${init_t} s uptime, $traps_t traps;" \
	"stubs ${ms_s} ms wall, /init at ${init_s_} s, $traps_s traps + $calls monitor calls"
