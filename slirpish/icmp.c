// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* icmp.c - ICMP: echo answered by the gateway or relayed through ping sockets; errors to guests. */

/*
 * Theory of operation
 *
 * Only echo requests are acted on.  One to a virtual host (gateway, DNS) is
 * answered here.  Any other goes through an unprivileged ping socket
 * (SOCK_DGRAM, IPPROTO_ICMP), one per flow (guest, guest addr, echo id,
 * destination).  The kernel gives the socket its own echo identifier and
 * fills the checksum; replies read from the socket carry that identifier,
 * so the guest's is written back and the checksum recomputed before the
 * reply goes to the guest.  Flows die after ICMP_IDLE_S seconds without
 * traffic (bounded by conf->udp_idle_s) or with their guest.
 *
 * Ping sockets need the process's group in net.ipv4.ping_group_range; when
 * the kernel refuses them, slirpish says so once and drops echo requests
 * to real hosts.
 *
 * icmp_send_unreach() builds a destination unreachable quoting the
 * offending packet's IPv4 header and its first 8 payload bytes.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slirpish/csum.h"
#include "slirpish/icmp.h"
#include "slirpish/log.h"
#include "slirpish/nat.h"

#define ICMP_HLEN 8
#define ICMP_IDLE_S 60
#define ICMP_RX_BATCH 32
#define ICMP_QUOTE_L4 8

/**
 * struct icmp_flow - one echo flow through a ping socket
 * @f:		common flow header (must be first)
 * @fd:		ping socket, connected to the destination
 * @io_w:	readable watcher of @fd
 * @idle_w:	idle timer
 */
struct icmp_flow {
	struct flow_common f;
	int fd;
	ev_io io_w;
	ev_timer idle_w;
};

_Static_assert(sizeof(struct icmp_flow) <= FLOW_SLOT_SIZE, "icmp_flow must fit a flow slot");

/* Ping sockets refused by the kernel: warned about once. */
static int icmp_ping_denied_warned;
/* Receive buffer shared by every flow (one thread). */
static uint8_t icmp_rx_buf[65536];

/* icmp_csum() - ICMP checksum of a message (no pseudo header). */
static uint16_t icmp_csum(const uint8_t *msg, size_t len)
{
	return csum_fold(csum_partial(msg, len, 0));
}

/**
 * icmp_send_echo_reply() - send an echo reply to the guest
 * @g:		guest
 * @src:	source as the guest sees it
 * @dst:	guest address
 * @msg:	ICMP echo message (header and payload); type and checksum are rewritten
 * @len:	its length
 * @id:		echo identifier to put in the reply
 */
static void icmp_send_echo_reply(struct guest *g, uint32_t src, uint32_t dst,
				 const uint8_t *msg, size_t len, uint16_t id)
{
	uint8_t *f, *m;

	if (IP4_HLEN + len > g->c->conf->mtu)
		return;
	f = ip4_frame_alloc(g, len);
	if (!f)
		return;
	m = f + IP4_L4_OFF;
	memcpy(m, msg, len);
	m[0] = ICMP_ECHOREPLY;
	m[1] = 0;
	wr16(m + 2, 0);
	wr16(m + 4, id);
	wr16(m + 2, icmp_csum(m, len));
	ip4_frame_send(g, f, IP4_PROTO_ICMP, src, dst, len);
}

/**
 * icmp_send_unreach() - send a destination unreachable to the guest
 * @g:		guest
 * @code:	ICMP_PORT_UNREACH (sent from the destination) or another code
 *		(sent from the gateway)
 * @orig:	the packet that could not be delivered
 *
 * No error is sent about broadcast or multicast packets, nor about ICMP
 * errors.
 */
void icmp_send_unreach(struct guest *g, uint8_t code, const struct ip4_hdr *orig)
{
	const struct conf *conf = g->c->conf;
	size_t quote = MIN(orig->l4.len, (size_t)ICMP_QUOTE_L4);
	size_t len = ICMP_HLEN + IP4_HLEN + quote;
	uint32_t src = code == ICMP_PORT_UNREACH ? orig->dst : conf->gw;
	uint8_t *f, *m;

	if (orig->dst == INADDR_BROADCAST || (orig->dst >> 28) == 0xe || !orig->src)
		return;
	if (orig->proto == IP4_PROTO_ICMP) {
		const uint8_t *t = pkt_get(&orig->l4, 0, 1);

		if (!t || (t[0] != ICMP_ECHO && t[0] != ICMP_ECHOREPLY))
			return;
	}
	f = ip4_frame_alloc(g, len);
	if (!f)
		return;
	m = f + IP4_L4_OFF;
	m[0] = ICMP_DEST_UNREACH;
	m[1] = code;
	memset(m + 2, 0, 6);
	ip4_fill(m + ICMP_HLEN, orig->proto, orig->src, orig->dst, orig->l4.len);
	memcpy(m + ICMP_HLEN + IP4_HLEN, orig->l4.data, quote);
	wr16(m + 2, icmp_csum(m, len));
	ip4_frame_send(g, f, IP4_PROTO_ICMP, src, orig->src, len);
}

/**
 * icmp_flow_close() - close an echo flow: watchers, socket, slot
 * @c:		daemon context
 * @f:		the flow (FLOW_ICMP)
 */
void icmp_flow_close(struct ctx *c, struct flow_common *f)
{
	struct icmp_flow *e = container_of(f, struct icmp_flow, f);

	ev_io_stop(c->loop, &e->io_w);
	ev_timer_stop(c->loop, &e->idle_w);
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	debug("guest %u: ICMP flow %u (id %u) closed", f->key.guest, f->idx, f->key.gport);
	flow_free(c, f);
}

/* icmp_idle_cb() - no echo for a while: close the flow. */
static void icmp_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct icmp_flow *e = container_of(w, struct icmp_flow, idle_w);

	icmp_flow_close(e->f.g->c, &e->f);
}

/**
 * icmp_sock_cb() - echo replies on a ping socket
 * @loop:	event loop
 * @w:		the flow's io watcher
 * @revents:	EV_READ
 */
static void icmp_sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct icmp_flow *e = container_of(w, struct icmp_flow, io_w);
	const struct flow_key *k = &e->f.key;
	unsigned i;

	for (i = 0; i < ICMP_RX_BATCH; i++) {
		ssize_t n = recv(e->fd, icmp_rx_buf, sizeof(icmp_rx_buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				debug("guest %u: ICMP flow %u: recv: %s", k->guest, e->f.idx,
				      strerror(errno));
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			continue;	/* errors queued on the socket are consumed */
		}
		if ((size_t)n < ICMP_HLEN || icmp_rx_buf[0] != ICMP_ECHOREPLY)
			continue;
		icmp_send_echo_reply(e->f.g, k->raddr, k->gaddr, icmp_rx_buf, (size_t)n,
				     k->gport);
	}
	ev_timer_again(loop, &e->idle_w);
}

/**
 * icmp_flow_open() - create an echo flow with its ping socket
 * @c:		daemon context
 * @g:		guest
 * @key:	flow key
 * @sa:		host destination
 *
 * Return: the flow, or NULL (ping sockets refused, socket error, table full).
 */
static struct icmp_flow *icmp_flow_open(struct ctx *c, struct guest *g,
					const struct flow_key *key,
					const struct sockaddr_in *sa)
{
	struct flow_common *f;
	struct icmp_flow *e;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0) {
		if (errno == EACCES || errno == EPERM || errno == EPROTONOSUPPORT) {
			if (!icmp_ping_denied_warned++)
				warn("ICMP echo to real hosts disabled: ping sockets refused (%s); "
				     "see sysctl net.ipv4.ping_group_range", strerror(errno));
		} else {
			warn("guest %u: ping socket: %s", g->id, strerror(errno));
		}
		return NULL;
	}
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		debug("guest %u: ping socket connect: %s", g->id, strerror(errno));
		close(fd);
		return NULL;
	}
	f = flow_alloc(c, FLOW_ICMP, g, key);
	if (!f) {
		close(fd);
		return NULL;
	}
	e = container_of(f, struct icmp_flow, f);
	e->fd = fd;
	ev_io_init(&e->io_w, icmp_sock_cb, fd, EV_READ);
	ev_io_start(c->loop, &e->io_w);
	ev_init(&e->idle_w, icmp_idle_cb);
	e->idle_w.repeat = MIN(ICMP_IDLE_S, c->conf->udp_idle_s);
	ev_timer_again(c->loop, &e->idle_w);
	debug("guest %u: ICMP flow %u (id %u) opened", g->id, f->idx, key->gport);
	return e;
}

/**
 * icmp_input() - an ICMP message from a guest
 * @g:		guest link
 * @ip:		validated IPv4 packet; @ip->l4 is the ICMP message
 */
void icmp_input(struct guest *g, const struct ip4_hdr *ip)
{
	struct ctx *c = g->c;
	const uint8_t *h = pkt_get(&ip->l4, 0, ICMP_HLEN);
	struct flow_key key;
	struct flow_common *f;
	struct icmp_flow *e;
	struct sockaddr_in sa;
	int ret;

	if (!h) {
		STAT_INC(&c->stats, BAD_L4);
		return;
	}
	if (icmp_csum(ip->l4.data, ip->l4.len) != 0) {
		STAT_INC(&c->stats, BAD_L4_CSUM);
		return;
	}
	if (h[0] != ICMP_ECHO || h[1] != 0) {
		debug("guest %u: ICMP type %u code %u ignored", g->id, h[0], h[1]);
		return;
	}
	if (nat_is_local(c, ip->dst) || ip->dst == c->conf->gw) {
		STAT_INC(&c->stats, ICMP_ECHOS);
		icmp_send_echo_reply(g, ip->dst, ip->src, ip->l4.data, ip->l4.len, rd16(h + 4));
		return;
	}
	if (!ip->src || ip->dst == INADDR_BROADCAST || (ip->dst >> 28) == 0xe)
		return;

	memset(&key, 0, sizeof(key));
	key.guest = (uint16_t)g->id;
	key.proto = IP4_PROTO_ICMP;
	key.gaddr = ip->src;
	key.raddr = ip->dst;
	key.gport = rd16(h + 4);

	f = flow_lookup(c, &key);
	if (f && f->type == FLOW_ICMP) {
		e = container_of(f, struct icmp_flow, f);
	} else {
		ret = nat_to_host(c, IP4_PROTO_ICMP, ip->dst, 0, &sa);
		if (ret) {
			STAT_INC(&c->stats, BAD_DEST);
			return;
		}
		e = icmp_flow_open(c, g, &key, &sa);
		if (!e)
			return;
	}
	STAT_INC(&c->stats, ICMP_ECHOS);
	/* The kernel sets the identifier and the checksum. */
	if (send(e->fd, ip->l4.data, ip->l4.len, MSG_DONTWAIT) < 0)
		debug("guest %u: ICMP flow %u: send: %s", g->id, e->f.idx, strerror(errno));
	ev_timer_again(c->loop, &e->idle_w);
}
