#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# vmm-testkern: boot examples/testkern under ulvm as an unprivileged user
# (nobody when run as root) and check that every one of its checks passed,
# that it powered off (exit 0) and how long the whole run took; then the
# same kernel passed through ulvm-rewrite --traps-only, whose extra checks
# (cpuid, pushf/popf with the virtual IF, sgdt/sidt/str/smsw, segment
# reads) run only when the sensitive instructions reach the monitor; then
# the default ulvm-rewrite output, with stubs (rewriter/vcpu_abi.h): the
# same checks must pass with the virtual IF in the vCPU page and the other
# sites calling the monitor through the far-call trampoline, and almost no
# site may trap any more.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../../.." && pwd)}
ulvm=$top_builddir/ulvm
kern=$top_builddir/examples/testkern/testkern

skip() { echo "SKIP: vmm-testkern: $*"; exit 77; }
fail() { echo "FAIL: vmm-testkern: $*"; exit 1; }

[ -x "$ulvm" ] || fail "no $ulvm (build first)"
[ -f "$kern" ] || fail "no $kern (build first)"

# Copy what runs to a directory the unprivileged user can read.
tmp=$(mktemp -d /tmp/ulvm-testkern.XXXXXX) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$ulvm" "$kern" "$tmp/" || fail "copy"
chmod 755 "$tmp" "$tmp/ulvm"
chmod 644 "$tmp/testkern"

if [ "$(id -u)" = 0 ]; then
	command -v runuser >/dev/null 2>&1 || skip "runuser not found"
	runuser -u nobody -- true 2>/dev/null || skip "cannot run commands as nobody"
	as() { runuser -u nobody -- "$@"; }
	who=nobody
else
	as() { "$@"; }
	who=$(id -un)
fi

start=$(date +%s%N)
as timeout 30 "$tmp/ulvm" run --kernel "$tmp/testkern" --trace \
	</dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))

cat "$tmp/out"
sed 's/^/stderr: /' "$tmp/err"

[ "$rc" = 0 ] || fail "ulvm exited with status $rc (as $who)"
grep -q '^testkern: rep outsb reaches the console' "$tmp/out" ||
	fail "string output through rep outsb missing"
grep -q 'FAIL' "$tmp/out" && fail "a testkern check failed"
n=$(sed -n 's/^testkern: all \([0-9][0-9]*\) checks passed.*/\1/p' "$tmp/out")
[ -n "$n" ] || fail "no 'all N checks passed' line"
[ "$n" -ge 40 ] || fail "only $n checks ran"
grep -q 'guest powered off' "$tmp/err" || fail "exit was not a guest power-off"
grep -q 'trace: .*emulated instruction' "$tmp/err" || fail "--trace printed no trap counts"
grep -q 'testkern: skipped' "$tmp/out" || fail "unrewritten run did not skip the silent instructions"

rewrite=$top_builddir/ulvm-rewrite
if [ ! -x "$rewrite" ]; then
	echo "PASS: vmm-testkern: all $n checks passed as $who, exit 0, ${ms} ms wall (no ulvm-rewrite: rewritten run skipped)"
	exit 0
fi
"$rewrite" -q --traps-only "$tmp/testkern" -o "$tmp/testkern-rw" >"$tmp/rw.log" 2>&1 ||
	fail "ulvm-rewrite failed on testkern: $(tail -n 3 "$tmp/rw.log")"
chmod 644 "$tmp/testkern-rw"
start=$(date +%s%N)
as timeout 30 "$tmp/ulvm" run --kernel "$tmp/testkern-rw" --trace \
	</dev/null >"$tmp/out2" 2>"$tmp/err2"
rc=$?
end=$(date +%s%N)
ms2=$(( (end - start) / 1000000 ))
grep -E 'rewritten|FAIL|checks' "$tmp/out2"
grep -E 'trace: [0-9]|int3 site' "$tmp/err2"
[ "$rc" = 0 ] || fail "rewritten testkern: ulvm exited with status $rc"
grep -q 'FAIL' "$tmp/out2" && fail "a check of the rewritten testkern failed"
grep -q '^testkern: running rewritten by ulvm-rewrite' "$tmp/out2" ||
	fail "the rewritten testkern did not see the virtual CPUID"
n2=$(sed -n 's/^testkern: all \([0-9][0-9]*\) checks passed.*/\1/p' "$tmp/out2")
[ -n "$n2" ] && [ "$n2" -gt "$n" ] || fail "rewritten run: ${n2:-no} checks, plain run $n"

"$rewrite" -q "$tmp/testkern" -o "$tmp/testkern-stub" >"$tmp/rw3.log" 2>&1 ||
	fail "ulvm-rewrite (stubs) failed on testkern: $(tail -n 3 "$tmp/rw3.log")"
chmod 644 "$tmp/testkern-stub"
start=$(date +%s%N)
as timeout 30 "$tmp/ulvm" run --kernel "$tmp/testkern-stub" --trace \
	</dev/null >"$tmp/out3" 2>"$tmp/err3"
rc=$?
end=$(date +%s%N)
ms3=$(( (end - start) / 1000000 ))
grep -E 'FAIL|checks|stubs' "$tmp/out3"
grep -E 'trace: [0-9]|int3 site|in stubs' "$tmp/err3"
[ "$rc" = 0 ] || fail "testkern with stubs: ulvm exited with status $rc"
grep -q 'FAIL' "$tmp/out3" && fail "a check of the testkern with stubs failed"
grep -q 'with stubs: no #GP' "$tmp/out3" || fail "the stub run did not see the stub-mode CPUID bit"
n3=$(sed -n 's/^testkern: all \([0-9][0-9]*\) checks passed.*/\1/p' "$tmp/out3")
[ "$n3" = "$n2" ] || fail "stub run: ${n3:-no} checks, trap run $n2"
calls=$(sed -n 's/^ulvm: trace: \([0-9][0-9]*\) monitor calls from stubs.*/\1/p' "$tmp/err3")
[ "${calls:-0}" -gt 0 ] || fail "the stub run made no monitor call"
t2=$(sed -n 's/^ulvm: trace: \([0-9][0-9]*\) traps in.*/\1/p' "$tmp/err2")
t3=$(sed -n 's/^ulvm: trace: \([0-9][0-9]*\) traps in.*/\1/p' "$tmp/err3")
[ -n "$t2" ] && [ -n "$t3" ] && [ "$t3" -lt "$t2" ] ||
	fail "stubs did not reduce the traps (${t3:-?} vs ${t2:-?} with --traps-only)"
echo "PASS: vmm-testkern: all $n checks passed (${ms} ms wall), rewritten all $n2 (${ms2} ms, $t2 traps), with stubs all $n3 (${ms3} ms, $t3 traps, $calls monitor calls), as $who, exit 0"
