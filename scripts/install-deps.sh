#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# install-deps.sh - install every Debian package ulvm needs to build, test
# and run its demos.  Idempotent: packages already present are left alone.
# Run as root (or through sudo).  Debian 12 (bookworm), x86-64.
set -eu

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then exec sudo "$0" "$@"; fi
	echo "install-deps.sh: must run as root (apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# i386 packages: the guest kernel, its headers and the busybox of the initramfs.
if ! dpkg --print-foreign-architectures | grep -qx i386; then
	dpkg --add-architecture i386
fi

# Build of the project itself.
BUILD="build-essential autoconf automake libtool pkg-config gcc-multilib
       libev-dev libssl-dev libcapstone-dev check liblzma-dev clang libclang-rt-14-dev"
# Peers and tools used by the tests and benchmarks.
TEST="iproute2 iperf3 curl passt slirp4netns qemu-system-x86 tshark nmap
      socat netcat-openbsd openssl dnsmasq-base procps psmisc xz-utils cpio
      gzip file valgrind iputils-ping user-mode-linux"
# Guest material, built into images by scripts/build-guest.sh.
# linux-headers-686:i386 builds guest-drivers/ulvmnet against that kernel.
GUEST="busybox-static:i386 linux-image-686:i386 linux-headers-686:i386"

missing=""
for p in $BUILD $TEST $GUEST; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "install-deps.sh: installing:$missing"
	# A mirror caught mid-sync fails one index now and then: retry, then
	# go on with what was fetched (the install below says if it is short).
	apt-get update -q || { sleep 5; apt-get update -q; } ||
		echo "install-deps.sh: apt-get update incomplete, trying anyway" >&2
	# tshark asks whether non-root users may capture: answer no.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
else
	echo "install-deps.sh: all packages present"
fi
