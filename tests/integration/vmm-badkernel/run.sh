#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-badkernel: bad kernel files and options must give a clear error and a
# non-zero exit status -- never a crash, a hang or a guest run.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../../.." && pwd)}
ulvm=$top_builddir/ulvm
kern=$top_builddir/examples/testkern/testkern

fail() { echo "FAIL: vmm-badkernel: $*"; exit 1; }

[ -x "$ulvm" ] || fail "no $ulvm (build first)"
[ -f "$kern" ] || fail "no $kern (build first)"
tmp=$(mktemp -d /tmp/ulvm-bad.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM

cases=0
# expect NAME WANTED-EXIT-STATUS MESSAGE-REGEX ulvm-args...
expect() {
	name=$1 want=$2 re=$3
	shift 3
	timeout 20 "$ulvm" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = "$want" ] ||
		fail "$name: exit status $rc, expected $want ($(head -c 300 "$tmp/err"))"
	grep -Eq "$re" "$tmp/err" ||
		fail "$name: no message matching '$re' (got: $(head -c 300 "$tmp/err"))"
	[ -s "$tmp/out" ] && fail "$name: the guest produced output"
	echo "ok: $name: $(head -n 1 "$tmp/err")"
	cases=$((cases + 1))
}

head -c 4096 /dev/urandom >"$tmp/random"
printf 'X' | dd of="$tmp/random" bs=1 count=1 conv=notrunc 2>/dev/null	# not \177ELF
: >"$tmp/empty"
head -c 60 "$kern" >"$tmp/elf-short"
cp "$kern" "$tmp/elf-phoff" && chmod 644 "$tmp/elf-phoff"
printf '\377\377\377\177' | dd of="$tmp/elf-phoff" bs=1 seek=28 conv=notrunc 2>/dev/null
cp "$kern" "$tmp/elf-paddr" && chmod 644 "$tmp/elf-paddr"
# first program header's p_paddr (at phoff 52 + 12) -> 0xf0000000
printf '\000\000\000\360' | dd of="$tmp/elf-paddr" bs=1 seek=64 conv=notrunc 2>/dev/null
# A bzImage header with a syssize far beyond the file: a truncated kernel.
bz=$(ls /boot/vmlinuz-* 2>/dev/null | head -n 1)
if [ -n "$bz" ] && [ -r "$bz" ]; then
	head -c 65536 "$bz" >"$tmp/bz-truncated"
else
	head -c 65536 /dev/zero >"$tmp/bz-truncated"
	printf '\004' | dd of="$tmp/bz-truncated" bs=1 seek=497 conv=notrunc 2>/dev/null
	printf '\377\377\000\000' | dd of="$tmp/bz-truncated" bs=1 seek=500 conv=notrunc 2>/dev/null
	printf '\125\252' | dd of="$tmp/bz-truncated" bs=1 seek=510 conv=notrunc 2>/dev/null
	printf 'HdrS\017\002' | dd of="$tmp/bz-truncated" bs=1 seek=514 conv=notrunc 2>/dev/null
	printf '\001' | dd of="$tmp/bz-truncated" bs=1 seek=529 conv=notrunc 2>/dev/null
	printf '\152' | dd of="$tmp/bz-truncated" bs=1 seek=513 conv=notrunc 2>/dev/null
fi

expect random-bytes 1 'neither an ELF32 executable nor a bzImage' run --kernel "$tmp/random"
expect empty-file 1 'kernel .*: No data' run --kernel "$tmp/empty"
expect missing-file 1 'No such file' run --kernel "$tmp/does-not-exist"
expect directory 1 'Invalid argument' run --kernel "$tmp"
expect elf-truncated 1 'bad ELF32 image' run --kernel "$tmp/elf-short"
expect elf-bad-phoff 1 'program headers out of the file' run --kernel "$tmp/elf-phoff"
expect elf-beyond-ram 1 'outside guest RAM' run --kernel "$tmp/elf-paddr"
expect bzimage-truncated 1 'bad bzImage: syssize' run --kernel "$tmp/bz-truncated"
expect missing-initrd 1 'initrd .*No such file' run --kernel "$kern" --initrd "$tmp/nope"
expect bad-mem 2 'give a size from 4M to 3G' run --kernel "$kern" --mem 1K
expect no-kernel 2 'kernel is required' run
expect bad-command 2 "unknown command" boot --kernel "$kern"
echo "PASS: vmm-badkernel: $cases bad inputs rejected with clear errors"
