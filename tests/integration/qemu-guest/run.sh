#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - a stock QEMU i386 guest on slirpish's stream socket: DHCP, then a transfer each way checked by sha256.
#
# The guest (scripts/build-guest.sh: Debian's 686 kernel, busybox initramfs)
# boots under QEMU/TCG with -netdev stream to slirpish, takes its address by
# DHCP, downloads a random file from busybox httpd on the host's 127.0.0.1
# (through 10.0.2.2) and uploads one it generates to a socat listener, which
# answers with the sha256 it received.  Checked here: the lease (10.0.2.15,
# gateway 10.0.2.2, DNS 10.0.2.3), the sha256 the guest computed of the
# download against the file served, the sha256 the guest announced of its
# upload against the file received, and the guest's own verdict.
#
# The same test runs the guest under ulvm instead (ULVM_VM=ulvm: the
# kernel rewritten by ulvm-rewrite, ulvm's own ulvmnet card on slirpish's
# socket): tests/integration/vmm-net/run.sh does that.
#
# Environment: ULVM_NETDEV=user runs the same test on QEMU's libslirp (a
# check of the test itself); ULVM_XFER_MB (default 8) sizes each transfer;
# ULVM_QEMU_TIMEOUT (default 300 s) bounds QEMU; ULVM_GUEST_DIR places the
# guest images (default $top_builddir/build/guest); ULVM_KEEP=1 keeps logs.
# Exit 0 pass, 77 skip (no QEMU, no guest material, no slirpish), 1 fail.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
mb=${ULVM_XFER_MB:-8}
limit=${ULVM_QEMU_TIMEOUT:-300}
guest=${ULVM_GUEST_DIR:-$top_builddir/build/guest}
netdev=${ULVM_NETDEV:-slirpish}
vm=${ULVM_VM:-qemu}
name=qemu-guest
[ "$vm" = qemu ] || name=vmm-net

. "$top_srcdir/examples/guest/qemu-lib.sh"

skip() {
	echo "SKIP: $name: $*"
	exit 77
}

# fail WHY - show the evidence, then the verdict.
fail() {
	for f in console.log slirpish.log ulvm.log rewrite.log httpd.log sink.log; do
		[ -s "$qg_tmp/$f" ] || continue
		echo "--- $f (last 40 lines)"
		tail -n 40 "$qg_tmp/$f"
	done
	echo "FAIL: $name ($netdev): $*"
	exit 1
}

# marker WORDS - the first console line "DEMO: WORDS ...", without "DEMO: ".
marker() {
	sed -n "s/^DEMO: \\($*\\)/\\1/p" "$qg_tmp/console.log" | tr -d '\r' |
		head -n 1
}

case "$mb" in
'' | *[!0-9]* | 0) echo "FAIL: $name: ULVM_XFER_MB=$mb, want a positive integer"; exit 1 ;;
esac
case "$vm" in
qemu)
	qemu=${ULVM_QEMU:-qemu-system-i386}
	command -v "$qemu" >/dev/null 2>&1 || skip "$qemu not installed"
	;;
ulvm)
	[ -x "$top_builddir/ulvm" ] && [ -x "$top_builddir/ulvm-rewrite" ] ||
		fail "ulvm or ulvm-rewrite not built in $top_builddir"
	[ "$netdev" = slirpish ] || fail "ulvm's network is slirpish only"
	;;
*) fail "ULVM_VM=$vm: want qemu or ulvm" ;;
esac
for t in busybox socat sha256sum timeout; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed"
done
ls /boot/vmlinuz-*-686 >/dev/null 2>&1 ||
	skip "no linux-image-686:i386 kernel installed (scripts/install-deps.sh)"
if [ "$netdev" = slirpish ]; then
	bin=${SLIRPISH:-$top_builddir/slirpish/slirpish}
	[ -x "$bin" ] || skip "slirpish not built ($bin)"
fi

qg_init "$name" || fail "no scratch directory"
if ! "$top_srcdir/scripts/build-guest.sh" "$guest" >"$qg_tmp/build.log" 2>&1; then
	cat "$qg_tmp/build.log"
	fail "scripts/build-guest.sh failed"
fi

mkdir "$qg_tmp/www"
head -c $((mb * 1048576)) /dev/urandom >"$qg_tmp/www/down.bin"
down_sha=$(sha256sum <"$qg_tmp/www/down.bin")
down_sha=${down_sha%% *}

qg_start_httpd "$qg_tmp/www" || fail "cannot start busybox httpd"
qg_start_sink "$qg_tmp/up.bin" || fail "cannot start the socat upload listener"
qg_start_net || fail "cannot start the $netdev network"

t0=$(date +%s)
qg_start_vm "$guest" "quiet ulvm.demo=xfer ulvm.url=http://10.0.2.2:$qg_http_port/down.bin ulvm.up=10.0.2.2:$qg_sink_port ulvm.upmb=$mb" \
	"$qg_tmp/console.log" "$limit" || fail "cannot start the $vm guest"
qg_wait_qemu
rc=$?
t1=$(date +%s)
[ $rc -ne 124 ] || fail "$vm still running after ${limit}s"
[ $rc -ne 125 ] || fail "$netdev exited while the guest ran"
[ $rc -eq 0 ] || fail "$vm exited with status $rc"

# The lease: QEMU's user-networking addresses.
dhcp=$(marker 'dhcp ok .*')
[ -n "$dhcp" ] || fail "no DHCP lease: $(marker 'dhcp FAIL.*')"
set -- $dhcp
[ "$3" = 10.0.2.15 ] && [ "$5" = 10.0.2.2 ] && [ "$7" = 10.0.2.3 ] ||
	fail "lease is '$dhcp', want 10.0.2.15 gw 10.0.2.2 dns 10.0.2.3"
dhcp_at=${8#(}
dhcp_at=${dhcp_at%)}

# Host to guest: what the guest hashed is what we served.
fetch=$(marker 'fetch ok .*')
[ -n "$fetch" ] || fail "download failed: $(marker 'fetch FAIL.*')"
set -- $fetch
[ "$3" = "$down_sha" ] && [ "$4" = $((mb * 1048576)) ] ||
	fail "guest got sha256 $3 ($4 bytes), host served $down_sha ($((mb * 1048576)) bytes)"

# Guest to host: what we received is what the guest hashed.
upsha=$(marker 'upload sha .*')
[ -n "$upsha" ] || fail "guest announced no upload"
set -- $upsha
[ -f "$qg_tmp/up.bin" ] || fail "nothing received from the guest"
got=$(sha256sum <"$qg_tmp/up.bin")
got=${got%% *}
size=$(wc -c <"$qg_tmp/up.bin")
[ "$got" = "$3" ] && [ "$size" -eq $((mb * 1048576)) ] ||
	fail "host received sha256 $got ($size bytes), guest sent $3 ($4 bytes)"
[ -n "$(marker "upload ok $got")" ] ||
	fail "guest did not confirm the upload: $(marker 'upload FAIL.*')"

done=$(marker 'done .*')
[ "$done" = "${done#done ok}" ] && fail "guest verdict: ${done:-none}"

echo "$name: $vm, netdev $netdev, DHCP at ${dhcp_at} guest time, $mb MiB each way, $((t1 - t0)) s wall for $vm"
echo "PASS: $name ($vm, $netdev): DHCP 10.0.2.15, $mb MiB down and up, sha256 equal on both sides"
exit 0
