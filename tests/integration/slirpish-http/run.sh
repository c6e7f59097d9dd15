#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - HTTP from a network namespace to a server on the host's
# 127.0.0.1, through slirpish's gateway 10.0.2.2.
#
# python3's http.server on 127.0.0.1 serves a small text page and a 3 MiB
# random file; curl in the namespace fetches both through 10.0.2.2 and the
# content must be byte-identical.  A port nobody listens on must be refused
# at once (a RST to the guest, curl exit 7), not time out.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-http curl sha256sum

mkdir -p "$IT_TMP/www"
echo "hello from the host, test $$" >"$IT_TMP/www/index.txt"
head -c 3145728 /dev/urandom >"$IT_TMP/www/blob.bin"
port=$(it_free_port) || it_fail "no free port"
it_bg "$IT_PY" -m http.server --bind 127.0.0.1 --directory "$IT_TMP/www" "$port" \
	>"$IT_TMP/httpd.log" 2>&1
it_wait_listen "$port"

it_netns
it_slirpish
it_static_addr

it_log "GET http://10.0.2.2:$port/index.txt"
it_nsx timeout 20 curl -sS --max-time 15 -o "$IT_TMP/index.got" "http://10.0.2.2:$port/index.txt" ||
	it_fail "curl index.txt failed (exit $?)"
cmp -s "$IT_TMP/www/index.txt" "$IT_TMP/index.got" ||
	it_fail "index.txt differs: got '$(head -c 200 "$IT_TMP/index.got")'"

it_log "GET http://10.0.2.2:$port/blob.bin (3 MiB)"
it_nsx timeout 40 curl -sS --max-time 30 -o "$IT_TMP/blob.got" "http://10.0.2.2:$port/blob.bin" ||
	it_fail "curl blob.bin failed (exit $?)"
want=$(it_sha "$IT_TMP/www/blob.bin")
got=$(it_sha "$IT_TMP/blob.got")
[ "$want" = "$got" ] ||
	it_fail "blob.bin sha256 $got ($(stat -c %s "$IT_TMP/blob.got") bytes), expected $want"

dead=$(it_free_port) || it_fail "no free port"
it_log "GET a closed port $dead: must be refused"
t0=$(date +%s)
it_nsx timeout 20 curl -sS --max-time 15 -o /dev/null "http://10.0.2.2:$dead/" 2>"$IT_TMP/refused.log"
rc=$?
t1=$(date +%s)
[ "$rc" = 7 ] || it_fail "curl to a closed port: exit $rc (expected 7, refused): $(cat "$IT_TMP/refused.log")"
[ $((t1 - t0)) -le 5 ] || it_fail "refusal took $((t1 - t0)) s"

c=$(it_counters)
echo "$c" | grep -E '^(TCP_OPENED|TCP_REFUSED|TCP_RESETS|BAD_L4_CSUM) '
it_pass "index.txt and 3 MiB blob identical through 10.0.2.2:$port, closed port refused"
