// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* nat.c - where a destination the guest names leads on the host.
 *
 * The gateway address leads to the host's loopback, the DNS address (port
 * 53) to the first upstream resolver, and every address outside the virtual
 * network to itself.  The other addresses of the virtual network, and the
 * ones no host socket can reach (0/8, loopback, multicast, broadcast,
 * reserved), are unreachable.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "slirpish/dns.h"
#include "slirpish/nat.h"

/**
 * nat_is_local() - is @addr one of the virtual hosts slirpish plays itself?
 * @c:		daemon context
 * @addr:	address, host order
 *
 * Return: non-zero for the gateway and the DNS server.
 */
int nat_is_local(const struct ctx *c, uint32_t addr)
{
	return addr == c->conf->gw || addr == c->conf->dns;
}

/**
 * nat_to_host() - host socket address for a destination the guest named
 * @c:		daemon context
 * @proto:	IP protocol
 * @daddr:	destination address as the guest sees it, host order
 * @dport:	destination port, host order
 * @sa:		result
 *
 * Return: 0, -EHOSTUNREACH for a virtual host that has no such service,
 * -ENETUNREACH for an address no host socket may reach.
 */
int nat_to_host(const struct ctx *c, uint8_t proto, uint32_t daddr, uint16_t dport,
		struct sockaddr_in *sa)
{
	const struct conf *conf = c->conf;
	uint32_t mask = conf_netmask(conf), host = daddr;
	uint8_t top = (uint8_t)(daddr >> 24);

	if (daddr == conf->gw) {
		host = conf->host_loopback;
	} else if (daddr == conf->dns) {
		if (dport != DNS_PORT || !conf->n_resolvers)
			return -EHOSTUNREACH;
		host = conf->resolvers[0];
	} else if ((daddr & mask) == conf->net) {
		return -EHOSTUNREACH;
	} else if (top == 0 || top == 127 || top >= 224) {
		return -ENETUNREACH;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(host);
	sa->sin_port = htons(dport);
	return 0;
}
