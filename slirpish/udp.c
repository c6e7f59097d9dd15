// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* udp.c - UDP relay: a host socket per flow, idle timeouts, UDP port maps. */

/*
 * Theory of operation
 *
 * A UDP flow is keyed as the guest sees it: (guest, UDP, guest addr:port,
 * remote addr:port).  Two kinds exist, told apart by @map_fd:
 *
 * - Outbound flows (map_fd < 0), created by the guest's first datagram to a
 *   remote: a non-blocking SOCK_DGRAM socket connected to nat_to_host()'s
 *   address.  Guest payloads are send()'t; the socket's datagrams go back to
 *   the guest from the remote address as the guest saw it.  ECONNREFUSED,
 *   EHOSTUNREACH and ENETUNREACH (ICMP errors the host got) become ICMP
 *   port, host or network unreachable toward the guest, quoting the last
 *   UDP header the guest sent.
 *
 * - Port-map flows (map_fd >= 0), created by udp_map_input() when a host
 *   client sends to a -u listener: the guest sees the datagram come from
 *   the gateway with the client's port; its replies are sendto()'t through
 *   the listener's socket (owned by portmap.c) back to the client.  Such a
 *   flow has no socket of its own.
 *
 * Each flow has an idle timer (conf->udp_idle_s), restarted with
 * ev_timer_again() on traffic in either direction; on expiry, or when the
 * guest goes away (udp_flow_close() called by flow.c), the watchers are
 * stopped, the socket closed and the slot handed back with flow_free().
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slirpish/csum.h"
#include "slirpish/dhcp.h"
#include "slirpish/dns.h"
#include "slirpish/icmp.h"
#include "slirpish/log.h"
#include "slirpish/nat.h"
#include "slirpish/udp.h"

/* Datagrams read from one socket per callback, so that one flow cannot starve the rest. */
#define UDP_RX_BATCH 32
#define UDP_DGRAM_MAX 65535

/**
 * struct udp_flow - one UDP flow
 * @f:		common flow header (must be first)
 * @fd:		connected host socket, or -1 for port-map flows
 * @map_fd:	port-map listener to answer through, or -1
 * @map_peer:	port-map client, when @map_fd >= 0
 * @io_w:	readable watcher of @fd
 * @idle_w:	idle timer
 * @last_hdr:	last UDP header the guest sent, quoted in ICMP errors
 */
struct udp_flow {
	struct flow_common f;
	int fd;
	int map_fd;
	struct sockaddr_in map_peer;
	ev_io io_w;
	ev_timer idle_w;
	uint8_t last_hdr[UDP_HLEN];
};

_Static_assert(sizeof(struct udp_flow) <= FLOW_SLOT_SIZE, "udp_flow must fit a flow slot");

/* Receive buffer shared by every flow: one thread, no malloc per packet. */
static uint8_t udp_rx_buf[UDP_DGRAM_MAX];

/* udp_addr_str() - dotted quad of a host-order address, in one of two static buffers. */
static const char *udp_addr_str(uint32_t a)
{
	static char buf[2][16];
	static unsigned n;
	char *b = buf[n++ & 1];

	snprintf(b, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return b;
}

/* udp_send_fragmented() - a datagram larger than the guest's MTU: built whole, sent in fragments. */
static void udp_send_fragmented(struct guest *g, uint32_t src, uint16_t sport, uint32_t dst,
				uint16_t dport, const uint8_t *data, size_t len)
{
	/* One datagram at a time (single-threaded): no allocation per packet. */
	static uint8_t buf[65536];
	size_t l4_len = UDP_HLEN + len;
	uint16_t sum;

	if (l4_len > 65535 - IP4_HLEN)
		return;
	wr16(buf, sport);
	wr16(buf + 2, dport);
	wr16(buf + 4, (uint16_t)l4_len);
	wr16(buf + 6, 0);
	memcpy(buf + UDP_HLEN, data, len);
	sum = csum_l4(src, dst, IP4_PROTO_UDP, buf, l4_len);
	wr16(buf + 6, sum ? sum : 0xffff);
	ip4_send_fragments(g, IP4_PROTO_UDP, src, dst, buf, l4_len);
}

/**
 * udp_send_to_guest() - send a datagram to a guest
 * @g:		guest link
 * @src:	source address (as the guest should see it), host order
 * @sport:	source port
 * @dst:	destination address, host order
 * @dport:	destination port
 * @data:	payload
 * @len:	payload length
 *
 * Drops (silently, counted by the allocator) when the link's output buffer
 * is full, and (logged) datagrams that do not fit the guest's MTU.
 */
void udp_send_to_guest(struct guest *g, uint32_t src, uint16_t sport, uint32_t dst,
		       uint16_t dport, const uint8_t *data, size_t len)
{
	size_t l4_len = UDP_HLEN + len;
	uint8_t *f, *u;
	uint16_t sum;

	if (IP4_HLEN + l4_len > g->mtu) {
		udp_send_fragmented(g, src, sport, dst, dport, data, len);
		return;
	}
	f = ip4_frame_alloc(g, l4_len);
	if (!f)
		return;
	u = f + IP4_L4_OFF;
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)l4_len);
	wr16(u + 6, 0);
	memcpy(u + UDP_HLEN, data, len);
	sum = csum_l4(src, dst, IP4_PROTO_UDP, u, l4_len);
	wr16(u + 6, sum ? sum : 0xffff);
	ip4_frame_send(g, f, IP4_PROTO_UDP, src, dst, l4_len);
}

/**
 * udp_flow_close() - close a UDP flow: watchers, socket, slot
 * @c:		daemon context
 * @f:		the flow (FLOW_UDP)
 */
void udp_flow_close(struct ctx *c, struct flow_common *f)
{
	struct udp_flow *u = container_of(f, struct udp_flow, f);

	ev_io_stop(c->loop, &u->io_w);
	ev_timer_stop(c->loop, &u->idle_w);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	debug("guest %u: UDP flow %u %s:%u - %s:%u closed", f->key.guest, f->idx,
	      udp_addr_str(f->key.gaddr), f->key.gport, udp_addr_str(f->key.raddr),
	      f->key.rport);
	flow_free(c, f);
}

/* udp_idle_cb() - the flow saw no traffic for conf->udp_idle_s: close it. */
static void udp_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct udp_flow *u = container_of(w, struct udp_flow, idle_w);

	udp_flow_close(u->f.g->c, &u->f);
}

/* udp_errno_code() - the ICMP unreachable code for a socket error. */
static uint8_t udp_errno_code(int e)
{
	return e == ECONNREFUSED ? ICMP_PORT_UNREACH :
	       e == ENETUNREACH ? ICMP_NET_UNREACH : ICMP_HOST_UNREACH;
}

/**
 * udp_unreach() - tell the guest that the remote of @u cannot be reached
 * @u:		outbound flow
 * @code:	ICMP_PORT_UNREACH, ICMP_HOST_UNREACH or ICMP_NET_UNREACH
 *
 * Rebuilds the guest's last datagram header as the quoted original.
 */
static void udp_unreach(struct udp_flow *u, uint8_t code)
{
	struct ip4_hdr orig = {
		.src = u->f.key.gaddr,
		.dst = u->f.key.raddr,
		.proto = IP4_PROTO_UDP,
		.ttl = 64,
		.l4 = { .data = u->last_hdr, .len = UDP_HLEN },
	};

	icmp_send_unreach(u->f.g, code, &orig);
}

/**
 * udp_sock_cb() - datagrams (or an error) on an outbound flow's socket
 * @loop:	event loop
 * @w:		the flow's io watcher
 * @revents:	EV_READ
 *
 * Reads at most UDP_RX_BATCH datagrams and relays them to the guest.
 */
static void udp_sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udp_flow *u = container_of(w, struct udp_flow, io_w);
	struct guest *g = u->f.g;
	const struct flow_key *k = &u->f.key;
	unsigned i;

	for (i = 0; i < UDP_RX_BATCH; i++) {
		ssize_t n = recv(u->fd, udp_rx_buf, sizeof(udp_rx_buf), MSG_DONTWAIT);

		if (n < 0) {
			/* An ICMP error the host received for this socket. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) {
				udp_unreach(u, udp_errno_code(errno));
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				debug("guest %u: UDP flow %u: recv: %s", g->id, u->f.idx,
				      strerror(errno));
			break;
		}
		udp_send_to_guest(g, k->raddr, k->rport, k->gaddr, k->gport, udp_rx_buf,
				  (size_t)n);
	}
	if (i)
		ev_timer_again(loop, &u->idle_w);
}

/**
 * udp_flow_new() - allocate a flow and start its idle timer
 * @c:		daemon context
 * @g:		guest
 * @key:	flow key
 *
 * Return: the flow with fd = map_fd = -1, or NULL (table full).
 */
static struct udp_flow *udp_flow_new(struct ctx *c, struct guest *g, const struct flow_key *key)
{
	struct flow_common *f = flow_alloc(c, FLOW_UDP, g, key);
	struct udp_flow *u;

	if (!f)
		return NULL;
	u = container_of(f, struct udp_flow, f);
	u->fd = -1;
	u->map_fd = -1;
	ev_init(&u->idle_w, udp_idle_cb);
	u->idle_w.repeat = c->conf->udp_idle_s;
	ev_timer_again(c->loop, &u->idle_w);
	STAT_INC(&c->stats, UDP_FLOWS);
	return u;
}

/**
 * udp_flow_open() - create an outbound flow and its connected host socket
 * @c:		daemon context
 * @g:		guest
 * @key:	flow key
 * @sa:		host address the remote maps to
 *
 * Return: the flow, or NULL (table full, or the socket failed: logged).
 */
static struct udp_flow *udp_flow_open(struct ctx *c, struct guest *g,
				      const struct flow_key *key, const struct sockaddr_in *sa)
{
	struct udp_flow *u;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		warn("guest %u: UDP socket: %s", g->id, strerror(errno));
		return NULL;
	}
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		debug("guest %u: UDP connect to %s:%u: %s", g->id,
		      udp_addr_str(ntohl(sa->sin_addr.s_addr)), ntohs(sa->sin_port),
		      strerror(errno));
		close(fd);
		return NULL;
	}
	u = udp_flow_new(c, g, key);
	if (!u) {
		close(fd);
		return NULL;
	}
	u->fd = fd;
	ev_io_init(&u->io_w, udp_sock_cb, fd, EV_READ);
	ev_io_start(c->loop, &u->io_w);
	debug("guest %u: UDP flow %u %s:%u - %s:%u opened", g->id, u->f.idx,
	      udp_addr_str(key->gaddr), key->gport, udp_addr_str(key->raddr), key->rport);
	return u;
}

/**
 * udp_input() - a UDP datagram from a guest
 * @g:		guest link
 * @ip:		validated IPv4 packet; @ip->l4 is the UDP header and payload
 */
void udp_input(struct guest *g, const struct ip4_hdr *ip)
{
	struct ctx *c = g->c;
	const uint8_t *h = pkt_get(&ip->l4, 0, UDP_HLEN);
	struct flow_key key;
	struct flow_common *f;
	struct udp_flow *u;
	struct pkt payload;
	size_t ulen;
	uint16_t sport, dport;
	ssize_t n;

	if (!h) {
		STAT_INC(&c->stats, BAD_L4);
		return;
	}
	ulen = rd16(h + 4);
	if (ulen < UDP_HLEN || ulen > ip->l4.len) {
		STAT_INC(&c->stats, BAD_L4);
		return;
	}
	if (rd16(h + 6) &&
	    !ip->csum_ok && csum_l4(ip->src, ip->dst, IP4_PROTO_UDP, ip->l4.data, ulen) != 0) {
		STAT_INC(&c->stats, BAD_L4_CSUM);
		return;
	}
	sport = rd16(h);
	dport = rd16(h + 2);
	if (pkt_sub(&ip->l4, UDP_HLEN, ulen - UDP_HLEN, &payload)) {
		STAT_INC(&c->stats, BAD_L4);
		return;
	}

	if (dport == DHCP_SERVER_PORT) {
		dhcp_input(g, ip, &payload);
		return;
	}
	if (ip->dst == c->conf->dns && dport == DNS_PORT) {
		if (dns_query_check(&payload)) {
			STAT_INC(&c->stats, BAD_DNS);
			return;
		}
		STAT_INC(&c->stats, DNS_QUERIES);
	}
	if (ip->src == 0 || ip->dst == INADDR_BROADCAST || (ip->dst >> 28) == 0xe ||
	    ip->dst == (c->conf->net | ~conf_netmask(c->conf))) {
		/* Unconfigured sources, broadcasts (also the virtual network's)
		 * and multicast are not relayed, and not answered either. */
		return;
	}

	memset(&key, 0, sizeof(key));
	key.guest = (uint16_t)g->id;
	key.proto = IP4_PROTO_UDP;
	key.gaddr = ip->src;
	key.gport = sport;
	key.raddr = ip->dst;
	key.rport = dport;

	f = flow_lookup(c, &key);
	if (f && f->type == FLOW_UDP) {
		u = container_of(f, struct udp_flow, f);
	} else {
		struct sockaddr_in sa;
		int ret = nat_to_host(c, IP4_PROTO_UDP, ip->dst, dport, &sa);

		if (ret) {
			STAT_INC(&c->stats, BAD_DEST);
			debug("guest %u: UDP to %s:%u: %s", g->id, udp_addr_str(ip->dst), dport,
			      strerror(-ret));
			icmp_send_unreach(g, udp_errno_code(-ret), ip);
			return;
		}
		u = udp_flow_open(c, g, &key, &sa);
		if (!u)
			return;
	}
	memcpy(u->last_hdr, h, UDP_HLEN);

	if (u->map_fd >= 0)
		n = sendto(u->map_fd, payload.data, payload.len, MSG_DONTWAIT,
			   (const struct sockaddr *)&u->map_peer, sizeof(u->map_peer));
	else
		n = send(u->fd, payload.data, payload.len, MSG_DONTWAIT);
	if (n < 0) {
		if ((errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) &&
		    u->map_fd < 0)
			udp_unreach(u, udp_errno_code(errno));
		else
			debug("guest %u: UDP flow %u: send: %s", g->id, u->f.idx, strerror(errno));
	}
	ev_timer_again(c->loop, &u->idle_w);
}

/**
 * udp_map_input() - a datagram from a host client of a -u port map
 * @c:		daemon context
 * @map_fd:	the port map's listening socket (owned by portmap.c)
 * @guest_port:	guest port the map leads to
 * @data:	payload
 * @len:	payload length
 * @from:	the client
 *
 * The datagram goes to the primary guest from gateway:<client port>; the
 * flow remembers @map_fd and @from so that the guest's replies go back.
 */
void udp_map_input(struct ctx *c, int map_fd, uint16_t guest_port,
		   const uint8_t *data, size_t len, const struct sockaddr_in *from)
{
	struct guest *g = guest_primary(c);
	struct flow_key key;
	struct flow_common *f;
	struct udp_flow *u;

	if (!g) {
		debug("UDP port map %u: no guest connected, datagram dropped",
		      guest_port);
		return;
	}
	memset(&key, 0, sizeof(key));
	key.guest = (uint16_t)g->id;
	key.proto = IP4_PROTO_UDP;
	key.gaddr = guest_addr(g);
	key.gport = guest_port;
	key.raddr = c->conf->gw;
	key.rport = ntohs(from->sin_port);

	f = flow_lookup(c, &key);
	if (f && f->type == FLOW_UDP) {
		u = container_of(f, struct udp_flow, f);
		if (u->map_fd < 0) {
			/* The guest talks to gateway:<that port> itself; do not mix. */
			debug("UDP port map %u: port %u of the gateway in use by the guest",
			      guest_port, key.rport);
			return;
		}
	} else {
		u = udp_flow_new(c, g, &key);
		if (!u)
			return;
		debug("guest %u: UDP port-map flow %u from %s:%u to port %u", g->id, u->f.idx,
		      udp_addr_str(ntohl(from->sin_addr.s_addr)), key.rport, guest_port);
	}
	u->map_fd = map_fd;
	u->map_peer = *from;
	ev_timer_again(c->loop, &u->idle_w);
	udp_send_to_guest(g, key.raddr, key.rport, key.gaddr, key.gport, data, len);
}
