#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# rewrite.sh - benchmark: time to rewrite Debian's i386 kernel (median of
# RUNS, wall clock, decompression included) and the share of rewritten
# sites that became stubs rather than traps.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
rw="$top_builddir/ulvm-rewrite"
kernel=${ULVM_KERNEL:-$(ls /boot/vmlinuz-*-686 2>/dev/null | head -n 1)}
runs=${RUNS:-5}

if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	echo "SKIP: no /boot/vmlinuz-*-686"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

i=0
: >"$tmp/times"
while [ "$i" -lt "$runs" ]; do
	s=$(date +%s.%N)
	"$rw" -q "$kernel" -o "$tmp/out.elf" -r "$tmp/report.txt" || exit 1
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f\n", e - s }' >>"$tmp/times"
	i=$((i + 1))
done
median=$(sort -n "$tmp/times" | awk '{ t[NR] = $1 } END { printf "%.3f", t[int((NR + 1) / 2)] }')
s=$(date +%s.%N)
"$rw" -q --check "$tmp/out.elf" || exit 1
e=$(date +%s.%N)
check=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }')

stub=$(sed -n 's/^rewritten: \([0-9]*\) sites, \([0-9]*\) to stubs (\([0-9.]*\)%), \([0-9]*\) to traps.*/\3/p' "$tmp/report.txt")
hot=$(sed -n 's/^hot path.*: \([0-9]*\) of \([0-9]*\) are stubs$/\1 \2/p' "$tmp/report.txt")
echo "kernel: $kernel"
grep '^rewritten:' "$tmp/report.txt"
printf 'rewrite time: %s s (median of %d)\n' "$median" "$runs"
printf 'check time: %.3f s\n' "$check"
printf 'stub share: %s %% of rewritten sites\n' "$stub"
echo "$hot" | awk '{ printf "hot-path stub share: %d of %d (%.1f %%)\n", $1, $2, 100 * $1 / $2 }'
