#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# bench.sh - slirpish against the other user-level relays and a veth pair:
# ROUNDS rounds of each test, from a network namespace to servers on the
# host; the table gives the median of the rounds.
#
# Usage: sudo tests/bench/bench.sh [CONFIG...]
#   CONFIGS (default all): slirpish slirpish_65520 pasta_1500 pasta
#           slirp4netns slirp4netns_65520 veth veth_65520
#   (pasta's own default MTU is 65520, slirp4netns' 1500; each peer is run at
#   the other MTU too, and slirpish and veth at both.)
#   env: DUR (seconds per test, 5), ROUNDS (3: every config once per round,
#        rounds one after the other, so load that comes and goes on the
#        machine falls on every config alike), SLIRPISH (binary; default
#        $top_builddir/slirpish/slirpish), IPORT/NBPORT (server ports; crr
#        uses NBPORT+1),
#        OUT (directory for raw results, default a fresh one under /tmp)
#
# Tests (the client runs in the namespace, the servers on the host):
#   g2h   iperf3, one TCP stream guest->host, Gbit/s (receiver side)
#   h2g   iperf3 -R, host->guest
#   rr    TCP 1-byte request/response on one connection, p50 latency (us)
#   crr   new connection + 1-byte request/response + close, per second;
#         the server closes first (nb.c NB_SRV_CLOSE=1) and the client waits
#         for its FIN: with a client-side close, TIME_WAIT piles up in the
#         namespace, and through the relays (whose SYN-ACKs carry no TCP
#         timestamps, so tcp_tw_reuse cannot reuse those ports) the guest runs
#         out of ephemeral ports within seconds - every relay then measured
#         the same ~2,900/s port limit, not itself
#   rss   the relay process's resident memory: at start and the most seen
#         during the tests (sampled every 0.2 s), MiB
# The guest reaches the host as 10.0.2.2 (= the host's 127.0.0.1) through
# slirpish, pasta and slirp4netns; through the veth pair as 10.200.0.1
# (kernel routing, the reference).  The table gives each peer's ratio to
# slirpish at the same MTU: ratio = peer / slirpish (for rr, lower is
# better, so a ratio below 1 means the peer is faster).
# Everything started is killed by PID on exit; the namespaces are deleted.
# Not part of `make check`.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SLIRPISH=${SLIRPISH:-$top_builddir/slirpish/slirpish}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-3}
IPORT=${IPORT:-15331}
NBPORT=${NBPORT:-15231}
CONFIGS=${*:-slirpish slirpish_65520 pasta_1500 pasta slirp4netns slirp4netns_65520 veth veth_65520}
HERE=$(cd "$(dirname "$0")" && pwd)

log() { echo "[$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || { echo "SKIP: bench: needs root (namespaces)"; exit 77; }
for t in iperf3 ip gcc awk; do
	command -v $t >/dev/null || { echo "SKIP: bench: missing $t"; exit 77; }
done

W=$(mktemp -d /tmp/bench.XXXXXX) || exit 1
OUT=${OUT:-$W/out}
mkdir -p "$OUT"
RES=$OUT/results.txt
: >"$RES"
gcc -O2 -w -o "$W/nb" "$HERE/nb.c" || { echo "cannot build nb"; exit 1; }

STARTED=()
NS=""
cleanup_cfg() {
	local p
	for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${STARTED[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	STARTED=()
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	NS=""
	ip link del bnv0-$$ 2>/dev/null
	return 0
}
trap 'cleanup_cfg; rm -rf "$W/nb"; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

wait_addr() { # NS IF ADDR
	local i
	for i in $(seq 50); do
		ip -n "$1" -4 addr show "$2" 2>/dev/null | grep -q "$3" && return 0
		sleep 0.1
	done
	log "timeout waiting for $3 on $1/$2"
	return 1
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# rss_sampler PID FILE - write the largest VmRSS seen (KiB) to FILE until killed
rss_sampler() {
	local max=0 v
	while kill -0 "$1" 2>/dev/null; do
		v=$(rss_kib "$1")
		[ -n "$v" ] && [ "$v" -gt "$max" ] && { max=$v; echo "$max" >"$2"; }
		sleep 0.2
	done
}

# setup CFG - create the namespace and the relay; sets NS, S (server address
# seen from the guest), BIND (where the servers listen), RELAY (PID or "")
setup() {
	local cfg=$1 base=${1%_*} mtu=1500
	case $cfg in *_65520) mtu=65520 ;; *_1500) mtu=1500 ;; pasta) mtu=65520 ;; esac
	NS=bn-$base-$$
	RELAY=""
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up
	case $base in
	slirpish)
		[ -x "$SLIRPISH" ] || { log "no $SLIRPISH"; return 1; }
		ip -n "$NS" tuntap add tap0 mode tap
		ip -n "$NS" link set tap0 mtu $mtu up
		"$SLIRPISH" --tap tap0 --netns "$NS" -m $mtu >>"$OUT/$cfg.relay.log" 2>&1 &
		RELAY=$!
		STARTED+=("$RELAY")
		sleep 0.5
		ip -n "$NS" addr add 10.0.2.15/24 dev tap0
		ip -n "$NS" route add default via 10.0.2.2
		S=10.0.2.2 BIND=127.0.0.1 ;;
	pasta)
		command -v pasta >/dev/null || { log "no pasta"; return 1; }
		# --runas 0: as root pasta would switch to nobody and could no longer
		# enter the namespace; 10.0.2.2 is mapped to the host's 127.0.0.1.
		pasta -f --runas 0 -4 -m $mtu --config-net -I tap0 -a 10.0.2.15 -n 24 -g 10.0.2.2 \
			--netns "$NS" >"$OUT/$cfg.relay.log" 2>&1 &
		RELAY=$!
		STARTED+=("$RELAY")
		wait_addr "$NS" tap0 10.0.2.15 || return 1
		S=10.0.2.2 BIND=127.0.0.1 ;;
	slirp4netns)
		command -v slirp4netns >/dev/null || { log "no slirp4netns"; return 1; }
		slirp4netns --configure --mtu=$mtu --netns-type=path "/run/netns/$NS" tap0 \
			>"$OUT/$cfg.relay.log" 2>&1 &
		RELAY=$!
		STARTED+=("$RELAY")
		wait_addr "$NS" tap0 10.0.2.100 || return 1
		S=10.0.2.2 BIND=127.0.0.1 ;;
	veth)
		ip link add bnv0-$$ mtu $mtu type veth peer name bnv1 mtu $mtu netns "$NS" || return 1
		ip addr add 10.200.0.1/24 dev bnv0-$$
		ip link set bnv0-$$ up
		ip -n "$NS" addr add 10.200.0.2/24 dev bnv1
		ip -n "$NS" link set bnv1 up
		S=10.200.0.1 BIND=10.200.0.1 ;;
	esac
	# CRR: reuse TIME_WAIT ports towards a non-loopback address
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_tw_reuse=1
	echo "$cfg mtu $(ip -n "$NS" -o link show | awk '$2 != "lo:" { for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }' | head -n 1)" >>"$RES"
	return 0
}

# snap CFG TEST - slirpish only: its counters (SIGUSR1) after each test, in
# the relay log, to explain an odd number afterwards
snap() {
	case $1 in slirpish*) ;; *) return 0 ;; esac
	echo "=== after $2" >>"$OUT/$1.relay.log"
	kill -USR1 "$RELAY" 2>/dev/null
	sleep 0.3
}

run_cfg() {
	local cfg=$1 f v sampler=""
	setup "$cfg" || { log "$cfg: set-up failed"; cleanup_cfg; return 1; }
	iperf3 -s -B "$BIND" -p "$IPORT" >/dev/null 2>&1 &
	STARTED+=($!)
	"$W/nb" srv "$NBPORT" "$BIND" >/dev/null 2>&1 &
	STARTED+=($!)
	NB_SRV_CLOSE=1 "$W/nb" srv $((NBPORT + 1)) "$BIND" >/dev/null 2>&1 &
	STARTED+=($!)
	sleep 0.5
	if [ -n "$RELAY" ]; then
		echo "$cfg rss0 $(rss_kib "$RELAY")" >>"$RES"
		rss_sampler "$RELAY" "$OUT/$cfg.rssmax" &
		sampler=$!
		STARTED+=("$sampler")
	fi
	X="ip netns exec $NS"
	# a first exchange so that ARP/neighbour set-up is not measured
	$X timeout 10 "$W/nb" rr "$S" "$NBPORT" 0.2 1 >/dev/null 2>&1 ||
		log "$cfg: warm-up exchange failed (server $S unreachable?)"

	f=$OUT/$cfg.g2h.txt
	$X timeout $((DUR + 20)) iperf3 -c "$S" -p "$IPORT" -t "$DUR" -f m >"$f" 2>&1
	v=$(awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) } END { if (v == "") print "NA"; else printf "%.2f", v / 1000 }' "$f")
	echo "$cfg g2h $v" >>"$RES"
	snap "$cfg" g2h
	log "$cfg g2h $v Gbit/s"
	sleep 0.5

	f=$OUT/$cfg.h2g.txt
	$X timeout $((DUR + 20)) iperf3 -c "$S" -p "$IPORT" -t "$DUR" -f m -R >"$f" 2>&1
	v=$(awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) } END { if (v == "") print "NA"; else printf "%.2f", v / 1000 }' "$f")
	echo "$cfg h2g $v" >>"$RES"
	snap "$cfg" h2g
	log "$cfg h2g $v Gbit/s"
	sleep 0.5

	f=$OUT/$cfg.rr.txt
	$X timeout $((DUR + 20)) "$W/nb" rr "$S" "$NBPORT" "$DUR" 1 >"$f" 2>&1
	v=$(grep -o 'rr_p50_us=[0-9.]*' "$f" | cut -d= -f2)
	echo "$cfg rr ${v:-NA}" >>"$RES"
	snap "$cfg" rr
	log "$cfg rr p50 ${v:-NA} us"
	sleep 0.5

	f=$OUT/$cfg.crr.txt
	$X env NB_SRV_CLOSE=1 timeout $((DUR + 20)) "$W/nb" crr "$S" $((NBPORT + 1)) "$DUR" >"$f" 2>&1
	v=$(grep -o 'crr_per_s=[0-9.]*' "$f" | cut -d= -f2)
	echo "$cfg crr ${v:-NA}" >>"$RES"
	snap "$cfg" crr
	log "$cfg crr ${v:-NA}/s $(grep -o 'crr_fail=[0-9]*' "$f")"

	if [ -n "$RELAY" ]; then
		kill -0 "$RELAY" 2>/dev/null || log "$cfg: the relay died during the run"
		echo "$cfg rssmax $(cat "$OUT/$cfg.rssmax" 2>/dev/null || echo NA)" >>"$RES"
	fi
	cleanup_cfg
	return 0
}

log "configs: $CONFIGS  DUR=$DUR  ROUNDS=$ROUNDS  raw results: $RES"
for r in $(seq "$ROUNDS"); do
	for c in $CONFIGS; do
		log "=== $c (round $r of $ROUNDS)"
		run_cfg "$c"
	done
done

# ---------- table ----------
# get CONFIG METRIC - the median of the rounds' values (rssmax: the largest).
get() {
	awk -v c="$1" -v m="$2" '$1 == c && $2 == m && $3 != "NA" { print $3 }' "$RES" |
		sort -g | awk -v m="$2" '{ v[NR] = $1 }
			END {
				if (!NR) print "NA"
				else if (m == "rssmax") print v[NR]
				else if (NR % 2) print v[(NR + 1) / 2]
				else print (v[NR / 2] + v[NR / 2 + 1]) / 2
			}'
}
ratio() { # VALUE REF
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
mib() { awk -v k="$1" 'BEGIN { if (k == "NA" || k == "") print "-"; else printf "%.1f", k / 1024 }'; }

echo
echo "Median of $ROUNDS rounds, ${DUR} s per test; g2h/h2g: iperf3 1 TCP stream, Gbit/s; rr: 1-byte TCP"
echo "request/response p50 latency, us; crr: connect+request/response+close per s;"
echo "rss: relay's resident memory at start / most seen during the run, MiB."
echo "(x.xx) = ratio peer/slirpish at the same MTU (rr: < 1 means the peer is faster)."
fmt="%-18s %6s | %-15s %-15s %-15s %-15s | %s\n"
printf "$fmt" config mtu "g2h Gb/s" "h2g Gb/s" "rr p50 us" "crr conn/s" "rss MiB start/max"
for c in $CONFIGS; do
	grep -q "^$c " "$RES" || continue
	mtu=$(get "$c" mtu)
	ref=slirpish
	[ "$mtu" = 65520 ] && ref=slirpish_65520
	cols=()
	for m in g2h h2g rr crr; do
		v=$(get "$c" $m)
		if [ "$c" = "$ref" ]; then
			cols+=("$v")
		else
			cols+=("$v ($(ratio "$v" "$(get "$ref" $m)"))")
		fi
	done
	rss="-"
	grep -q "^$c rss0 " "$RES" && rss="$(mib "$(get "$c" rss0)")/$(mib "$(get "$c" rssmax)")"
	printf "$fmt" "$c" "$mtu" "${cols[@]}" "$rss"
done | tee "$OUT/table.txt"
[ -n "${KEEP:-}" ] && echo "raw results kept in $OUT"
exit 0
