#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The ulvm authors
#
# run.sh - slirpish's DHCP, ICMP echo and DNS forwarding, with the Linux
# stack of a network namespace as the guest.
#
# busybox udhcpc on tap0 must lease 10.0.2.15/24 with router 10.0.2.2 and
# DNS 10.0.2.3; the guest then pings the gateway and the DNS address, and
# asks 10.0.2.3 for a name that only a local dnsmasq (on 127.0.53.x:53, given
# to slirpish with --dns-forward) knows: the answer must be that dnsmasq's,
# and dnsmasq's log must show the query.
# Exit 0 pass, 77 skip (not root, tool missing), 1 fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

it_init slirpish-dhcp-ping-dns busybox dnsmasq ping

# A loopback address of our own for dnsmasq (port 53 is fixed in slirpish).
dns_up=127.0.53.$(($$ % 200 + 20))
answer=127.1.2.$(($$ % 200 + 20))
name=probe-$$.test.ulvm

it_bg dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --port=53 \
	--listen-address="$dns_up" --bind-interfaces --pid-file= \
	--address=/test.ulvm/"$answer" --log-queries --log-facility=- \
	>"$IT_TMP/dnsmasq.log" 2>&1
for i in $(seq 50); do
	ss -Hlnu "src $dns_up and sport = :53" 2>/dev/null | grep -q . && break
	kill -0 "$IT_LAST" 2>/dev/null || { cat "$IT_TMP/dnsmasq.log"; it_skip "dnsmasq could not start on $dns_up:53"; }
	sleep 0.1
done

it_netns
it_slirpish --dns-forward "$dns_up"

# The udhcpc script records what it was given and configures tap0.
cat >"$IT_TMP/udhcpc.sh" <<EOS
#!/bin/sh
case "\$1" in
bound|renew)
	echo "ip=\$ip subnet=\$subnet router=\$router dns=\$dns mtu=\${mtu:-} lease=\${lease:-}" >"$IT_TMP/lease"
	ip addr add "\$ip/\$subnet" dev "\$interface"
	for r in \$router; do ip route add default via "\$r" dev "\$interface"; break; done
	;;
deconfig) ip addr flush dev "\$interface" ;;
esac
exit 0
EOS
chmod +x "$IT_TMP/udhcpc.sh"

it_log "udhcpc on tap0"
it_nsx timeout 20 busybox udhcpc -i tap0 -q -f -n -t 5 -T 2 -s "$IT_TMP/udhcpc.sh" \
	>"$IT_TMP/udhcpc.log" 2>&1 || { cat "$IT_TMP/udhcpc.log"; it_fail "udhcpc got no lease"; }
[ -s "$IT_TMP/lease" ] || it_fail "udhcpc script was not run with a lease"
lease=$(cat "$IT_TMP/lease")
it_log "lease: $lease"
get() { echo " $lease" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
[ "$(get ip)" = 10.0.2.15 ] || it_fail "leased ip '$(get ip)', expected 10.0.2.15"
[ "$(get subnet)" = 255.255.255.0 ] || it_fail "subnet '$(get subnet)', expected 255.255.255.0"
[ "$(get router)" = 10.0.2.2 ] || it_fail "router '$(get router)', expected 10.0.2.2"
[ "$(get dns)" = 10.0.2.3 ] || it_fail "dns '$(get dns)', expected 10.0.2.3"
it_nsx ip -4 addr show dev tap0 | grep -q 'inet 10.0.2.15/24' || it_fail "tap0 has no 10.0.2.15/24"

it_log "ping 10.0.2.2 and 10.0.2.3"
it_nsx timeout 10 ping -c 3 -i 0.2 -W 2 10.0.2.2 >"$IT_TMP/ping.log" 2>&1 ||
	{ cat "$IT_TMP/ping.log"; it_fail "no echo reply from the gateway 10.0.2.2"; }
grep -q ' 0% packet loss' "$IT_TMP/ping.log" || { cat "$IT_TMP/ping.log"; it_fail "ping 10.0.2.2 lost packets"; }
it_nsx timeout 10 ping -c 2 -i 0.2 -W 2 10.0.2.3 >"$IT_TMP/ping3.log" 2>&1 ||
	{ cat "$IT_TMP/ping3.log"; it_fail "no echo reply from the DNS address 10.0.2.3"; }

it_log "DNS: $name via 10.0.2.3 -> dnsmasq $dns_up"
it_nsx timeout 10 busybox nslookup -type=a "$name" 10.0.2.3 >"$IT_TMP/nslookup.log" 2>&1
cat "$IT_TMP/nslookup.log"
got=$(sed -n '/^Name:/,$ s/^Address:[[:space:]]*\([0-9.]*\)$/\1/p' "$IT_TMP/nslookup.log" | head -n 1)
[ "$got" = "$answer" ] || it_fail "DNS answer '$got' for $name, expected $answer"
grep -q "query\[A\] $name from 127" "$IT_TMP/dnsmasq.log" ||
	{ cat "$IT_TMP/dnsmasq.log"; it_fail "dnsmasq did not see the forwarded query"; }

# A name dnsmasq refuses must come back as an error, not hang.
it_nsx timeout 10 busybox nslookup -type=a "nope-$$.invalid" 10.0.2.3 >"$IT_TMP/nx.log" 2>&1
grep -qiE "can't find|NXDOMAIN|REFUSED" "$IT_TMP/nx.log" ||
	{ cat "$IT_TMP/nx.log"; it_fail "no error answer for an unknown name"; }

c=$(it_counters)
echo "$c" | grep -E '^(DHCP_REPLIES|DNS_QUERIES|ICMP_ECHOS|BAD_DNS|BAD_DHCP) '
dq=$(echo "$c" | awk '$1 == "DNS_QUERIES" { print $2 }')
dh=$(echo "$c" | awk '$1 == "DHCP_REPLIES" { print $2 }')
[ "${dq:-0}" -ge 2 ] || it_fail "DNS_QUERIES=$dq, expected >= 2"
[ "${dh:-0}" -ge 2 ] || it_fail "DHCP_REPLIES=$dh, expected >= 2 (offer + ack)"
it_pass "lease 10.0.2.15/24 via 10.0.2.2 dns 10.0.2.3, ping ok, $name -> $got"
