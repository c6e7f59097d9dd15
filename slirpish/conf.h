/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* conf.h - slirpish's configuration: the virtual network, the guest links, port maps. */
#ifndef SLIRPISH_CONF_H
#define SLIRPISH_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "slirpish/log.h"

#define CONF_MAPS_MAX 64
#define CONF_RESOLVERS_MAX 3
#define CONF_MTU_MIN 576
#define CONF_MTU_MAX 65520

/**
 * struct conf_portmap - one -t/-u port map
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @bind:	host address to listen on, host order (default 127.0.0.1)
 * @host_port:	host port to listen on
 * @guest_port:	guest port the connections go to
 */
struct conf_portmap {
	uint8_t proto;
	uint32_t bind;
	uint16_t host_port;
	uint16_t guest_port;
};

/**
 * struct conf - everything the command line sets
 *
 * Addresses are IPv4 in host byte order throughout slirpish.
 * @socket_path:	--socket: listen for stream guests here
 * @fd:			--fd: an inherited connected stream socket, or -1
 * @tap_if:		--tap: TAP interface name
 * @netns:		--netns: namespace (name under /run/netns, or a path) of the TAP
 * @net:		virtual network address
 * @prefix_len:		virtual network prefix length
 * @gw:			gateway address (reaches the host's loopback)
 * @dns:		virtual DNS server address
 * @guest_addr:		address handed out by DHCP
 * @host_loopback:	where the gateway address leads on the host
 * @mtu:		MTU of the guest link, also advertised by DHCP
 * @gw_mac:		gateway's (and every virtual host's) MAC address
 * @resolvers:		upstream DNS servers
 * @n_resolvers:	number of @resolvers
 * @maps:		port maps
 * @n_maps:		number of @maps
 * @pcap_path:		--pcap: capture file, or NULL
 * @tcp_idle_s:		idle timeout of TCP connections, seconds
 * @udp_idle_s:		idle timeout of UDP flows, seconds
 * @max_flows:		size of the flow table
 * @max_guests:		most guest links served at once
 * @log_level:		LOG_ERR .. LOG_DEBUG
 */
struct conf {
	const char *socket_path;
	int fd;
	const char *tap_if;
	const char *netns;
	uint32_t net;
	unsigned prefix_len;
	uint32_t gw;
	uint32_t dns;
	uint32_t guest_addr;
	uint32_t host_loopback;
	unsigned mtu;
	uint8_t gw_mac[6];
	uint32_t resolvers[CONF_RESOLVERS_MAX];
	unsigned n_resolvers;
	struct conf_portmap maps[CONF_MAPS_MAX];
	unsigned n_maps;
	const char *pcap_path;
	unsigned tcp_idle_s;
	unsigned udp_idle_s;
	unsigned max_flows;
	unsigned max_guests;
	enum log_level log_level;
};

int conf_parse(struct conf *conf, int argc, char **argv, const char **errmsg);
void conf_usage(FILE *out);
int conf_parse_portmap(const char *spec, uint8_t proto, struct conf_portmap *map);
int conf_parse_ip4(const char *s, uint32_t *addr);
int conf_parse_prefix(const char *s, uint32_t *net, unsigned *len);
uint32_t conf_netmask(const struct conf *conf);

#endif /* SLIRPISH_CONF_H */
