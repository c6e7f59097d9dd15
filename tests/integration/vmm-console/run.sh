#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-console: the guest's serial console input.  examples/testkern with
# "echo" on its command line copies what it receives back (UART receive
# interrupts on IRQ 4, hlt in between) until a 'q', then powers off.  Input
# comes once from a pipe, once from a terminal (a pty made by script(1),
# raw mode), and Ctrl-A x must end the VM with status 0.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../../.." && pwd)}
ulvm=$top_builddir/ulvm
kern=$top_builddir/examples/testkern/testkern

skip() { echo "SKIP: vmm-console: $*"; exit 77; }
fail() { echo "FAIL: vmm-console: $*"; exit 1; }

[ -x "$ulvm" ] && [ -f "$kern" ] || fail "build ulvm and examples/testkern first"
tmp=$(mktemp -d /tmp/ulvm-console.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$ulvm" "$kern" "$tmp/"
chmod 755 "$tmp" "$tmp/ulvm"
chmod 644 "$tmp/testkern"
if [ "$(id -u)" = 0 ]; then
	command -v runuser >/dev/null 2>&1 || skip "runuser not found"
	runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
	as="runuser -u nobody --"
else
	as=
fi
run="$tmp/ulvm run --kernel $tmp/testkern --append echo"

# 1. a pipe
printf 'pipe-input-42q' | $as timeout 10 $run >"$tmp/out1" 2>"$tmp/err1"
rc=$?
[ "$rc" = 0 ] || fail "pipe: exit status $rc ($(head -c 200 "$tmp/err1"))"
grep -q 'pipe-input-42' "$tmp/out1" || fail "pipe: input not echoed by the guest"
grep -q 'testkern: echo done' "$tmp/out1" || fail "pipe: the guest did not see the q"
echo "ok: input from a pipe echoed by the guest"

# 2. a terminal, then Ctrl-A x
command -v script >/dev/null 2>&1 || skip "script(1) not found (bsdutils); pipe case passed"
(sleep 1; printf 'tty-input-7'; sleep 1; printf '\001x') |
	$as timeout 20 script -qfec "$run --trace" /dev/null >"$tmp/out2" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "tty: exit status $rc"
grep -aq 'tty-input-7' "$tmp/out2" || fail "tty: input not echoed by the guest"
grep -aq 'terminated by Ctrl-A x' "$tmp/out2" || fail "tty: Ctrl-A x did not end the VM"
grep -aq 'testkern: echo done' "$tmp/out2" && fail "tty: the guest ended by itself, not by Ctrl-A x"
echo "ok: input from a terminal echoed, Ctrl-A x quits with status 0"
echo "PASS: vmm-console: serial input (pipe and raw terminal) and Ctrl-A x"
