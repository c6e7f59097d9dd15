#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - the qemu-guest test with the guest under ulvm: Debian's stock
# i386 kernel, rewritten by ulvm-rewrite, boots as an unprivileged process
# with ulvm's ulvmnet card (guest-drivers/ulvmnet) linked to slirpish's
# socket, takes 10.0.2.15 by DHCP, then moves ULVM_XFER_MB (default 8) MiB
# each way, checked by sha256 on both sides.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}
ULVM_VM=ulvm
ULVM_NETDEV=slirpish
export ULVM_VM ULVM_NETDEV
exec sh "$top_srcdir/tests/integration/qemu-guest/run.sh"
