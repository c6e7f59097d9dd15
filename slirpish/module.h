/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/*
 * module.h - the interface between slirpish and its loadable modules.
 *
 * A module is a shared object NAME.so, loaded with `--module NAME[:ARGS]`
 * (repeatable, or a `module NAME[:ARGS]` line in a --config file) from the
 * module directory (--module-dir, else $SLIRPISH_MODULE_DIR, else the
 * directory slirpish was installed with); a NAME containing '/' is a path.
 * It exports one symbol, `slirpish_module`, a const struct slirpish_module
 * whose @abi must equal SLIRPISH_MODULE_ABI: a missing file, a missing
 * symbol or another ABI is an error at start-up, and slirpish does not run.
 *
 * Modules are called in the order they were named.  Every hook is optional
 * (NULL).  Hooks run on slirpish's one thread, from its libev loop: they
 * must not block, and they may add their own watchers to host->loop.
 *
 * What a module sees has been validated first: an Ethernet frame whose IPv4
 * header, lengths and checksums are good and whose L4 header (TCP, UDP,
 * ICMP) is complete.  A module never sees a malformed or half-parsed
 * packet, and never a fragment other than the first (ports are 0 in those).
 *
 * The hooks, and the modules they were made for:
 *
 *  packet	A verdict on every IPv4 packet, each direction: from the guest
 *		(MOD_DIR_OUT, before slirpish acts on it) and to the guest
 *		(MOD_DIR_IN, before it is queued on the guest link).  filter
 *		decides; conntrack counts packets and bytes and follows TCP
 *		state; portscan counts the guest's distinct destination ports.
 *		MOD_REJECT from the guest answers a TCP segment with RST and
 *		anything else with ICMP "administratively prohibited"; toward
 *		the guest a reject is a drop.
 *
 *  flow_open	A new flow, before its host socket exists (guest-opened) or
 *		just after a host client was accepted on a port map (host-
 *		opened).  Any verdict other than MOD_ACCEPT refuses it (the
 *		guest gets RST / the host client is closed).  portscan counts
 *		distinct ports per host client here and blocks a scanner;
 *		conntrack creates its entry.
 *
 *  flow_close	The flow is gone (closed, reset, timed out, or its guest left).
 *
 *  connect	How a guest-opened TCP or UDP flow reaches the outside.  The
 *		module may rewrite the destination (@dst, @dst_len; any family)
 *		or supply an already made socket in *@fd, which slirpish then
 *		uses as the flow's host socket.
 *		- ipv6: an IPv4 address from its synthesised pool becomes the
 *		  IPv6 address it stands for (@dst rewritten to AF_INET6).
 *		- ssl, outbound (guest port 110 -> server port 995): the module
 *		  opens the TLS connection itself and hands slirpish one end of
 *		  a socketpair(AF_UNIX, SOCK_STREAM); it relays between the
 *		  other end (plain bytes) and the TLS socket.  This is the byte-
 *		  stream transform on the host side: slirpish's TCP relay keeps
 *		  working unchanged (MSG_PEEK with SO_PEEK_OFF works on Unix
 *		  stream sockets), and keeps no copy of its own.
 *		Return 0 to go on (as changed), or a negative errno to refuse
 *		the flow (the guest sees RST / ICMP unreachable).
 *
 *  accept	A host client was accepted on a TCP port map: the module may
 *		replace the accepted socket with one of its own (*@fd).  ssl,
 *		inbound (host 8443 -> guest 80): it keeps the client's socket,
 *		runs the TLS server side on it, and gives slirpish one end of
 *		a socketpair carrying the plain bytes.
 *
 *  frame	A frame from the guest that slirpish does not handle itself
 *		(an ethertype other than IPv4 and ARP).  Return 1 if the module
 *		took it.  ipv6: neighbour discovery, router advertisements,
 *		ICMPv6 echo, and TCP/UDP over IPv6 relayed through its own host
 *		sockets, answering with host->send_frame().
 *
 *  dns_reply	A DNS answer on its way from the host's resolver to the guest,
 *		which the module may rewrite in place (up to @cap bytes).
 *		ipv6: a name with only AAAA records gets A records from the
 *		synthesised pool, remembered for connect.
 *
 *  ctl		A request on the control socket whose first word is the
 *		module's name (`slirpishctl filter list`).  The module writes its
 *		answer to @out and returns 0, or returns a negative errno and
 *		writes the reason to @out.  A module without ctl answers its
 *		name with "no control commands".
 *
 * Addresses and ports in these structures are in host byte order, as the
 * guest sees them: "remote" is the far end of the flow as seen from the
 * guest (for a port map, the gateway address and the host client's port).
 */
#ifndef SLIRPISH_MODULE_H
#define SLIRPISH_MODULE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define SLIRPISH_MODULE_ABI 1

struct ev_loop;

/** enum mod_dir - which way a packet travels */
enum mod_dir {
	MOD_DIR_OUT = 0,	/* from the guest */
	MOD_DIR_IN = 1,		/* to the guest */
};

/** enum mod_verdict - what to do with a packet or a new flow */
enum mod_verdict {
	MOD_ACCEPT = 0,
	MOD_DROP = 1,
	MOD_REJECT = 2,
};

/** enum mod_origin - who opened a flow */
enum mod_origin {
	MOD_ORIGIN_GUEST = 0,	/* the guest connected or sent out */
	MOD_ORIGIN_HOST = 1,	/* a host client came in through a port map */
};

/**
 * struct mod_pkt - a validated IPv4 packet
 * @guest:	guest id (each guest is its own network)
 * @dir:	enum mod_dir
 * @proto:	IP protocol (6 TCP, 17 UDP, 1 ICMP, others possible)
 * @tcp_flags:	TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10), else 0
 * @icmp_type:	ICMP type, else 0
 * @icmp_code:	ICMP code, else 0
 * @src:	source address
 * @dst:	destination address
 * @sport:	source port (ICMP echo: identifier; otherwise 0 when none)
 * @dport:	destination port (0 when none)
 * @ip_len:	IPv4 total length (a TAP GSO frame: the whole super-frame)
 * @payload_len: L4 payload bytes
 * @ip:		the IPv4 header onwards, @ip_len bytes, read-only
 */
struct mod_pkt {
	uint16_t guest;
	uint8_t dir;
	uint8_t proto;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t pad;
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint32_t ip_len;
	uint32_t payload_len;
	const uint8_t *ip;
};

/**
 * struct mod_flow - a flow, as modules see it
 * @id:		flow id, unique among open flows (reused after flow_close)
 * @guest:	guest id
 * @proto:	IP protocol
 * @origin:	enum mod_origin
 * @gaddr:	guest-side address
 * @raddr:	remote address as the guest sees it
 * @gport:	guest-side port (ICMP: echo identifier)
 * @rport:	remote port
 * @peer:	the host-side peer: the destination socket address for a
 *		guest-opened flow (after connect hooks), the host client's
 *		address for a host-opened one; NULL when there is none
 * @peer_len:	length of @peer
 * @map_port:	host port of the port map a host-opened flow came through, else 0
 */
struct mod_flow {
	uint32_t id;
	uint16_t guest;
	uint8_t proto;
	uint8_t origin;
	uint32_t gaddr;
	uint32_t raddr;
	uint16_t gport;
	uint16_t rport;
	const struct sockaddr *peer;
	socklen_t peer_len;
	uint16_t map_port;
};

/**
 * struct mod_host - what slirpish offers a module, valid until fini
 * @loop:	slirpish's libev loop, for the module's own watchers
 * @net:	the guests' network address (10.0.2.0)
 * @prefix_len:	its prefix length (24)
 * @gw:		gateway address (10.0.2.2)
 * @dns:	DNS forwarder address (10.0.2.3)
 * @guest_addr:	address DHCP hands out (10.0.2.15)
 * @mtu:	link MTU
 * @log:	log a line at @level (LOG_ERR .. LOG_DEBUG from syslog.h),
 *		prefixed with the module's name
 * @send_frame:	queue an Ethernet frame to guest @guest; 0 or -errno
 * @priv:	slirpish's own, not for modules
 */
struct mod_host {
	struct ev_loop *loop;
	uint32_t net;
	unsigned prefix_len;
	uint32_t gw;
	uint32_t dns;
	uint32_t guest_addr;
	unsigned mtu;
	void (*log)(const struct mod_host *h, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	int (*send_frame)(const struct mod_host *h, uint16_t guest,
			  const uint8_t *frame, size_t len);
	void *priv;
};

/**
 * struct slirpish_module - what a module exports as `slirpish_module`
 * @abi:	SLIRPISH_MODULE_ABI, as the module was built
 * @name:	short name, also the first word of its control requests
 * @desc:	one line for `slirpishctl modules`
 * @init:	start with the text after ':' in --module (or "" when none);
 *		set *@state; 0, or -errno with a reason written to @err
 * @fini:	free everything (called once, also after a failed start of a
 *		later module); the loop still runs but will not call again
 * @packet:	see the file header
 * @flow_open:	see the file header
 * @flow_close:	see the file header
 * @connect:	see the file header
 * @accept:	see the file header
 * @frame:	see the file header
 * @dns_reply:	see the file header
 * @ctl:	see the file header; @argv[0] is the module's name
 */
struct slirpish_module {
	uint32_t abi;
	const char *name;
	const char *desc;
	int (*init)(const struct mod_host *host, const char *args, void **state,
		    char *err, size_t err_len);
	void (*fini)(void *state);
	enum mod_verdict (*packet)(void *state, const struct mod_pkt *p);
	enum mod_verdict (*flow_open)(void *state, const struct mod_flow *f);
	void (*flow_close)(void *state, const struct mod_flow *f);
	int (*connect)(void *state, const struct mod_flow *f,
		       struct sockaddr_storage *dst, socklen_t *dst_len, int *fd);
	int (*accept)(void *state, const struct mod_flow *f, int *fd);
	int (*frame)(void *state, uint16_t guest, const uint8_t *frame, size_t len);
	int (*dns_reply)(void *state, uint16_t guest, uint8_t *msg, size_t *len,
			 size_t cap);
	int (*ctl)(void *state, int argc, char **argv, FILE *out);
};

#endif /* SLIRPISH_MODULE_H */
