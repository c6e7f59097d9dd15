#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# demo.sh - set everything up, then boot Debian's stock kernel under ulvm, as an ordinary process, on slirpish's network.
#
# Steps: scripts/install-deps.sh (Debian packages; skipped when
# ULVM_SKIP_DEPS=1), the project's build (autoreconf, configure, make;
# skipped when ULVM_SKIP_BUILD=1), the guest images (scripts/build-guest.sh:
# Debian's i386 kernel, a busybox initramfs with the ulvmnet driver), a web
# page on 127.0.0.1 (busybox httpd), slirpish on a Unix socket, the kernel
# rewritten by ulvm-rewrite, and ulvm with its network card on slirpish's
# socket -- slirpish and ulvm as the user nobody when run as root.  The
# guest takes 10.0.2.15 by DHCP and fetches the page from 10.0.2.2 (the
# host's 127.0.0.1).  On a terminal the demo ends at the guest's shell
# (Ctrl-A X leaves); otherwise it prints the guest's verdict and exits 0
# when the demo worked.
#
# Environment: ULVM_VM=qemu boots the same guest under qemu-system-i386
# (TCG) with a virtio-net card on slirpish (-netdev stream) instead;
# ULVM_NETDEV=user (with ULVM_VM=qemu) swaps slirpish for QEMU's libslirp;
# ULVM_BUILD_DIR (default: build/, as scripts/test.sh) is the build tree;
# ULVM_GUEST_DIR places the guest images; ULVM_DEMO_SHELL=0 never ends at
# the shell; ULVM_QEMU_TIMEOUT (default 300 s) bounds a non-interactive run;
# ULVM_APPEND adds kernel parameters (e.g. ulvm.debug=1); ULVM_KEEP=1 keeps
# the logs.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=${ULVM_BUILD_DIR:-$top/build}
guest=${ULVM_GUEST_DIR:-$top_builddir/guest}
netdev=${ULVM_NETDEV:-slirpish}
ULVM_VM=${ULVM_VM:-ulvm}
export ULVM_VM
limit=${ULVM_QEMU_TIMEOUT:-300}

. "$top/examples/guest/qemu-lib.sh"

die() {
	echo "demo.sh: $*" >&2
	for f in slirpish.log ulvm.log rewrite.log httpd.log; do
		[ -n "$qg_tmp" ] && [ -s "$qg_tmp/$f" ] || continue
		echo "--- $f (last 20 lines)" >&2
		tail -n 20 "$qg_tmp/$f" >&2
	done
	echo "demo: FAIL: $*"
	exit 1
}

if [ "${ULVM_SKIP_DEPS:-0}" != 1 ]; then
	"$top/scripts/install-deps.sh" || die "scripts/install-deps.sh failed"
fi

if [ "${ULVM_SKIP_BUILD:-0}" != 1 ]; then
	if [ ! -x "$top/configure" ]; then
		(cd "$top" && autoreconf -fi) || die "autoreconf failed"
	fi
	mkdir -p "$top_builddir"
	if [ ! -f "$top_builddir/Makefile" ]; then
		(cd "$top_builddir" && "$top/configure") || die "configure failed"
	fi
	make -C "$top_builddir" -j"$(nproc 2>/dev/null || echo 2)" ||
		die "make failed"
fi

"$top/scripts/build-guest.sh" "$guest" || die "scripts/build-guest.sh failed"

qg_init demo || die "no scratch directory"
mkdir "$qg_tmp/www"
qg_start_httpd "$qg_tmp/www" || die "cannot start busybox httpd"
url=http://10.0.2.2:$qg_http_port/
cat >"$qg_tmp/www/index.html" <<EOF
Hello from the ulvm host!
This page is served by busybox httpd on 127.0.0.1:$qg_http_port; the guest
reached it as $url through ${netdev}.
EOF
qg_start_net
case $? in
0) ;;
2) die "slirpish is not built: run make (or unset ULVM_SKIP_BUILD)" ;;
*) die "cannot start the $netdev network" ;;
esac

append="quiet ulvm.demo=fetch ulvm.url=$url ${ULVM_APPEND:-}"
if [ -t 0 ] && [ -t 1 ] && [ "${ULVM_DEMO_SHELL:-1}" != 0 ]; then
	echo "demo.sh: booting the guest on $netdev; it ends at its shell."
	echo "demo.sh: leave with 'poweroff -f' in the guest, or Ctrl-A X."
	qg_start_vm "$guest" "$append ulvm.shell=1" - 0 || die "cannot start the guest"
	qg_wait_qemu
	exit $?
fi

echo "demo.sh: booting the guest under $ULVM_VM on $netdev (at most ${limit}s)"
qg_start_vm "$guest" "$append" "$qg_tmp/console.log" "$limit" || die "cannot start the guest"
# Show the console as it comes; tail ends with the VM.
tail -s 0.2 -n +1 -f --pid="$qg_qemu_pid" "$qg_tmp/console.log" 2>/dev/null &
tailpid=$!
qg_track $tailpid
qg_wait_qemu
rc=$?
wait $tailpid
verdict=$(tr -d '\r' <"$qg_tmp/console.log" | sed -n 's/^DEMO: done //p' | head -n 1)
[ $rc -ne 124 ] || die "the guest did not finish within ${limit}s"
[ $rc -ne 125 ] || die "$netdev exited while the guest ran"
case "$verdict" in
ok*)
	echo "demo: PASS: the guest took $(tr -d '\r' <"$qg_tmp/console.log" |
		sed -n 's/^DEMO: dhcp ok \([^ ]*\).*/\1/p' | head -n 1) by DHCP" \
		"from $netdev and fetched $url"
	exit 0
	;;
*) die "guest verdict: ${verdict:-none} ($ULVM_VM status $rc)" ;;
esac
