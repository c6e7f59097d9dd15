#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - ulvm-rewrite over Debian's real i386 kernel (linux-image-686):
# every sensitive instruction accounted for, --check passes (stubs
# regenerate and disassemble, no sensitive instruction left unrecorded),
# every byte outside the rewritten sites unchanged (cmp against the
# decompressed original), and bad input refused with a clear error.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../../.." && pwd)}
rw="$top_builddir/ulvm-rewrite"
kernel=${ULVM_KERNEL:-$(ls /boot/vmlinuz-*-686 2>/dev/null | head -n 1)}

if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	echo "SKIP: no /boot/vmlinuz-*-686 (install linux-image-686:i386)"
	exit 77
fi
if [ ! -x "$rw" ]; then
	echo "FAIL: $rw not built"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

"$rw" "$kernel" -o "$tmp/out.elf" -s "$tmp/sites.bin" -r "$tmp/report.txt" >"$tmp/log" 2>&1 ||
	fail "rewrite of $kernel: $(tail -n 1 "$tmp/log")"
cat "$tmp/report.txt"
grep -q '^accounted: \([0-9]*\) of \1 sites (all)$' "$tmp/report.txt" ||
	fail "sites not all accounted for"

# The same blob is in the image and in --sites.
[ -s "$tmp/sites.bin" ] || fail "empty site table"
head -c 8 "$tmp/sites.bin" | grep -q ULVMSITE || fail "site table without its magic"

"$rw" --check "$tmp/out.elf" --original "$kernel" >"$tmp/check" 2>&1 ||
	fail "--check: $(tail -n 1 "$tmp/check")"
grep -q 'check passed' "$tmp/check" || fail "--check did not say it passed"
grep -q 'check: 0 problems, 0 unaccounted' "$tmp/check" || fail "--check found problems"
changed=$(sed -n 's/.* \([0-9]*\) bytes changed in the ELF part.*/\1/p' "$tmp/check")

# Independent byte comparison with the decompressed original.
if command -v xz >/dev/null 2>&1; then
	off=$(grep -obUaP '\xfd7zXZ\x00' "$kernel" 2>/dev/null | head -n 1 | cut -d: -f1)
	if [ -n "$off" ]; then
		tail -c +$((off + 1)) "$kernel" | xz -dc --single-stream >"$tmp/vmlinux" 2>/dev/null
		size=$(stat -c %s "$tmp/vmlinux")
		diffs=$(cmp -l -n "$size" "$tmp/vmlinux" "$tmp/out.elf" | wc -l)
		[ "$diffs" = "$changed" ] ||
			fail "cmp counts $diffs changed bytes, --check counted $changed"
		"$rw" -q --check "$tmp/out.elf" --original "$tmp/vmlinux" ||
			fail "--check against the vmlinux ELF"
		echo "bytes changed in the ELF part: $diffs (cmp and --check agree)"
	fi
fi

# Tampering is caught: a cli written into the patch area's first stub.
cp "$tmp/out.elf" "$tmp/bad.elf"
poff=$(( ( $(stat -c %s "$tmp/vmlinux" 2>/dev/null || echo 0) + 4095) / 4096 * 4096 ))
if [ "$poff" -gt 0 ]; then
	printf '\372' | dd of="$tmp/bad.elf" bs=1 seek="$poff" conv=notrunc 2>/dev/null
	if "$rw" -q --check "$tmp/bad.elf" >/dev/null 2>&1; then
		fail "--check accepted a corrupted stub"
	fi
fi

# Bad input: clear errors, no crash.
printf 'not a kernel at all' >"$tmp/junk"
"$rw" "$tmp/junk" -o "$tmp/x" >/dev/null 2>"$tmp/err" && fail "accepted junk"
grep -q 'not a kernel image' "$tmp/err" || fail "junk: unclear error: $(cat "$tmp/err")"
head -c 3000000 "$kernel" >"$tmp/trunc"
"$rw" "$tmp/trunc" -o "$tmp/x" >/dev/null 2>"$tmp/err" && fail "accepted a truncated kernel"
grep -q 'truncated\|corrupt' "$tmp/err" || fail "truncated: unclear error: $(cat "$tmp/err")"
"$rw" /bin/sh -o "$tmp/x" >/dev/null 2>"$tmp/err" && fail "accepted a 64-bit ELF"
grep -q 'wrong architecture' "$tmp/err" || fail "x86-64: unclear error: $(cat "$tmp/err")"

hot=$(sed -n 's/^hot path.*: \([0-9]*\) of \([0-9]*\) are stubs$/\1 of \2/p' "$tmp/report.txt")
echo "PASS: $(basename "$kernel"): all sites accounted, --check and byte comparison clean; hot-path stubs $hot"
exit 0
