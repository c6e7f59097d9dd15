// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* tcp.c - TCP relay between a guest's TCP stack and host sockets, with no buffer of its own.
 *
 * Theory of operation
 * -------------------
 * Each guest connection is paired with one host socket.  slirpish keeps no
 * copy of any payload:
 *
 * Guest to host: a segment at the expected sequence number is written to
 * the host socket at once, and acknowledged only as far as the socket took
 * it; the window advertised to the guest is the free space of the socket's
 * send buffer, so a slow host peer slows the guest and nothing is lost.
 * Out-of-order segments are dropped (the guest retransmits).
 *
 * Host to guest: data stays in the host socket's receive queue until the
 * guest acknowledges it.  Segments are built by peeking (MSG_PEEK, with
 * SO_PEEK_OFF so each peek starts after what was already sent) straight
 * into frames reserved in the guest link's output buffer, within the
 * guest's advertised window.  An ACK from the guest discards the
 * acknowledged bytes from the socket (MSG_TRUNC).  A retransmission (three
 * duplicate ACKs, or the timer) rewinds the peek offset to the oldest
 * unacknowledged byte and sends again from there.
 *
 * Handshake: a guest SYN starts a non-blocking connect(); the SYN-ACK goes
 * to the guest only when the connect succeeds (RST when it fails).  A host
 * client accepted on a port map is answered the other way round: SYN to the
 * guest, and data flows once the guest's SYN-ACK arrives.
 *
 * States: CONNECTING -> SYNACK_SENT -> ESTABLISHED (guest-initiated),
 * SYN_SENT -> ESTABLISHED (port map); every change goes through
 * tcp_set_state().  Half-closes are flags: the guest's FIN shuts the host
 * socket for writing; end-of-file from the host becomes our FIN once every
 * byte before it was sent.  The connection is freed when both FINs are
 * acknowledged, on a RST from either side, or on the idle timeout.
 *
 * Ownership: the flow slot and the host socket belong to the connection;
 * tcp_conn_close() stops every watcher and timer, closes the socket and
 * hands the slot to flow_free().
 */

#include "config.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>

#include "slirpish/csum.h"
#include "slirpish/log.h"
#include "slirpish/nat.h"
#include "slirpish/tcp.h"
#include "slirpish/tcp_conn.h"

static_assert(sizeof(struct tcp_conn) <= FLOW_SLOT_SIZE, "tcp_conn must fit a flow slot");

static const char *const tcp_state_names[] = {
	[TCPS_CONNECTING] = "CONNECTING", [TCPS_SYNACK_SENT] = "SYNACK_SENT",
	[TCPS_SYN_SENT] = "SYN_SENT", [TCPS_ESTABLISHED] = "ESTABLISHED",
};
static_assert(ARRAY_SIZE(tcp_state_names) == TCPS_COUNT, "tcp state names");

/* tcp_set_state() - the one place a connection changes state (logged). */
static void tcp_set_state(struct tcp_conn *conn, enum tcp_state state)
{
	if (conn->state == state)
		return;
	debug("tcp flow %u: %s -> %s", conn->f.idx, tcp_state_names[conn->state],
	      tcp_state_names[state]);
	conn->state = (uint8_t)state;
}

/**
 * tcp_parse() - validate a guest's TCP segment
 * @ip:		its IPv4 packet
 * @s:		result
 *
 * Return: 0, -1 for a malformed segment, -2 for a bad checksum.
 */
static int tcp_parse(const struct ip4_hdr *ip, struct tcp_seg *s)
{
	const uint8_t *h = pkt_get(&ip->l4, 0, TCP_HLEN);
	size_t off, i;

	if (!h)
		return -1;
	off = (size_t)(h[12] >> 4) * 4;
	if (off < TCP_HLEN || off > ip->l4.len)
		return -1;
	if (!ip->csum_ok && csum_l4(ip->src, ip->dst, IP4_PROTO_TCP, ip->l4.data, ip->l4.len))
		return -2;
	s->sport = rd16(h);
	s->dport = rd16(h + 2);
	s->seq = rd32(h + 4);
	s->ack = rd32(h + 8);
	s->flags = h[13];
	s->wnd = rd16(h + 14);
	s->mss = 0;
	s->ws = -1;
	s->data = h + off;
	s->len = ip->l4.len - off;
	/* Options: only MSS and window scale matter to us. */
	for (i = TCP_HLEN; i < off;) {
		uint8_t kind = h[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= off || (olen = h[i + 1]) < 2 || i + olen > off)
			return -1;
		if (kind == 2 && olen == 4)
			s->mss = rd16(h + i + 2);
		else if (kind == 3 && olen == 3)
			s->ws = MIN(h[i + 2], 14);
		i += olen;
	}
	return 0;
}

/* tcp_fill() - write a TCP header (and SYN options) and the checksum. */
size_t tcp_fill(struct tcp_conn *conn, uint8_t *th, uint32_t seq, uint8_t flags,
		       size_t payload)
{
	const struct flow_key *k = &conn->f.key;
	size_t hlen = TCP_HLEN + (flags & TCP_SYN ? TCP_OPT_SYN_LEN : 0);
	uint32_t wnd = conn->rcv_wnd;

	if (!(flags & TCP_SYN) && (conn->flags & TCP_F_WS))
		wnd >>= conn->ws_ours;
	wr16(th, k->rport);
	wr16(th + 2, k->gport);
	wr32(th + 4, seq);
	wr32(th + 8, flags & TCP_ACK ? conn->rcv_nxt : 0);
	th[12] = (uint8_t)(hlen / 4) << 4;
	th[13] = flags;
	wr16(th + 14, (uint16_t)MIN(wnd, 65535u));
	wr16(th + 16, 0);
	wr16(th + 18, 0);
	if (flags & TCP_SYN) {
		th[20] = 2;
		th[21] = 4;
		wr16(th + 22, conn->mss);
		/* Window scaling: offered in our SYN, answered in a SYN-ACK only
		 * when the guest offered it (RFC 7323 2.2). */
		th[24] = 1;
		th[25] = (flags & TCP_ACK) && !(conn->flags & TCP_F_WS) ? 1 : 3;
		th[26] = th[25] == 3 ? 3 : 1;
		th[27] = th[25] == 3 ? conn->ws_ours : 1;
	}
	if (conn->f.g->vnet) {
		/* The link completes the checksum from the pseudo-header sum,
		 * and cuts segments larger than the guest's MSS. */
		wr16(th + 16, (uint16_t)~csum_fold(csum_ip4_pseudo(k->raddr, k->gaddr, IP4_PROTO_TCP,
								    (uint16_t)(hlen + payload))));
		guest_frame_offload(conn->f.g, th - IP4_L4_OFF, IP4_L4_OFF, 16,
				    payload > conn->mss ? conn->mss : 0);
	} else {
		wr16(th + 16, csum_l4(k->raddr, k->gaddr, IP4_PROTO_TCP, th, hlen + payload));
	}
	return hlen;
}

/* tcp_send_ctl() - send a segment without payload; 0 or -1 (no room). */
int tcp_send_ctl(struct tcp_conn *conn, uint8_t flags, uint32_t seq)
{
	struct guest *g = conn->f.g;
	uint8_t *f = ip4_frame_alloc(g, TCP_HLEN + TCP_OPT_SYN_LEN);
	size_t hlen;

	if (!f)
		return -1;
	tcp_update_rcv_wnd(conn);
	if (flags & TCP_SYN)
		conn->rcv_wnd = MIN(conn->rcv_wnd, 65535u);
	hlen = tcp_fill(conn, f + IP4_L4_OFF, seq, flags, 0);
	ip4_frame_send(g, f, IP4_PROTO_TCP, conn->f.key.raddr, conn->f.key.gaddr, hlen);
	if (flags & TCP_ACK)
		conn->flags &= (uint16_t)~TCP_F_ACK_DUE;
	return 0;
}

/* tcp_send_dup_acks() - @n identical ACKs (same window): the guest's fast retransmit. */
static void tcp_send_dup_acks(struct tcp_conn *conn, int n)
{
	struct guest *g = conn->f.g;

	while (n--) {
		uint8_t *f = ip4_frame_alloc(g, TCP_HLEN);

		if (!f)
			return;
		tcp_fill(conn, f + IP4_L4_OFF, conn->snd_nxt, TCP_ACK, 0);
		ip4_frame_send(g, f, IP4_PROTO_TCP, conn->f.key.raddr, conn->f.key.gaddr, TCP_HLEN);
	}
}

/* tcp_rst_reply() - answer a segment that has no connection with a RST. */
static void tcp_rst_reply(struct guest *g, const struct ip4_hdr *ip, const struct tcp_seg *s)
{
	uint8_t *f, *th;
	uint32_t seq = 0, ack = 0;
	uint8_t flags = TCP_RST;

	if (s->flags & TCP_RST)
		return;
	debug("tcp: reset to guest port %u -> %u (flags 0x%02x, seq %u)", s->sport, s->dport,
	      s->flags, s->seq);
	if (s->flags & TCP_ACK) {
		seq = s->ack;
	} else {
		flags |= TCP_ACK;
		ack = s->seq + (uint32_t)s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);
	}
	f = ip4_frame_alloc(g, TCP_HLEN);
	if (!f)
		return;
	th = f + IP4_L4_OFF;
	memset(th, 0, TCP_HLEN);
	wr16(th, s->dport);
	wr16(th + 2, s->sport);
	wr32(th + 4, seq);
	wr32(th + 8, ack);
	th[12] = (TCP_HLEN / 4) << 4;
	th[13] = flags;
	wr16(th + 16, csum_l4(ip->dst, ip->src, IP4_PROTO_TCP, th, TCP_HLEN));
	ip4_frame_send(g, f, IP4_PROTO_TCP, ip->dst, ip->src, TCP_HLEN);
	STAT_INC(&g->c->stats, TCP_RESETS);
}

/* tcp_blocked_remove() - take a connection off the context's blocked list. */
static void tcp_blocked_remove(struct tcp_conn *conn)
{
	struct tcp_conn **pp = &tcp_ctx(conn)->tcp_blocked;

	while (*pp && *pp != conn)
		pp = &(*pp)->blk_next;
	if (*pp)
		*pp = conn->blk_next;
	conn->flags &= (uint16_t)~TCP_F_BLOCKED;
}

/**
 * tcp_conn_close() - release everything of a connection
 * @conn:	connection
 * @how:	TCP_CLOSE_RST_GUEST and/or TCP_CLOSE_RST_HOST: who gets a reset
 *		(otherwise the host socket is closed gracefully)
 * @why:	reason, logged
 */
void tcp_conn_close(struct tcp_conn *conn, unsigned how, const char *why)
{
	struct ctx *c = tcp_ctx(conn);
	int rst = !!(how & TCP_CLOSE_RST_HOST);

	debug("tcp flow %u: closed: %s", conn->f.idx, why);
	if (c->tcp_batch->conn == conn)
		c->tcp_batch->conn = NULL;
	if (conn->flags & TCP_F_BLOCKED)
		tcp_blocked_remove(conn);
	if ((how & TCP_CLOSE_RST_GUEST) && !conn->f.g->closing) {
		if (tcp_send_ctl(conn, TCP_RST | TCP_ACK, conn->snd_nxt) == 0)
			STAT_INC(&c->stats, TCP_RESETS);
	}
	ev_io_stop(c->loop, &conn->io_r);
	ev_io_stop(c->loop, &conn->io_w);
	ev_timer_stop(c->loop, &conn->rto);
	ev_timer_stop(c->loop, &conn->idle);
	if (conn->sock >= 0) {
		if (rst) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(conn->sock, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(conn->sock);
		conn->sock = -1;
	}
	flow_free(c, &conn->f);
}

/**
 * tcp_flow_dump() - the TCP part of a flow's line in the SIGUSR1 listing
 * @f:		the connection's flow header
 * @out:	stream
 */
void tcp_flow_dump(const struct flow_common *f, FILE *out)
{
	const struct tcp_conn *conn = (const struct tcp_conn *)(const void *)f; /* f is first */

	fprintf(out, " %s flags 0x%02x una %u nxt +%u wnd %u rcv %u rwnd %u rto %ums retries %u",
		tcp_state_names[conn->state], conn->flags, conn->snd_una,
		conn->snd_nxt - conn->snd_una, conn->snd_wnd, conn->rcv_nxt, conn->rcv_wnd,
		conn->rto_ms, conn->retries);
}

/**
 * tcp_flow_close() - close a connection because its guest went away
 * @c:		daemon context
 * @f:		the connection's flow header
 */
void tcp_flow_close(struct ctx *c, struct flow_common *f)
{
	tcp_conn_close(container_of(f, struct tcp_conn, f), TCP_CLOSE_RST, "guest link closed");
}

/* tcp_rto_arm() - (re)start the retransmission timer if data or FIN is in flight. */
void tcp_rto_arm(struct tcp_conn *conn)
{
	struct ctx *c = tcp_ctx(conn);

	if (conn->snd_una == conn->snd_nxt && conn->state == TCPS_ESTABLISHED) {
		ev_timer_stop(c->loop, &conn->rto);
		return;
	}
	if (!ev_is_active(&conn->rto)) {
		ev_timer_set(&conn->rto, conn->rto_ms / 1000.0, 0);
		ev_timer_start(c->loop, &conn->rto);
	}
}

/* tcp_sock_r_cb() - the host socket has data (or EOF, or an error). */
static void tcp_sock_r_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *conn = container_of(w, struct tcp_conn, io_r);

	ev_timer_again(loop, &conn->idle);
	tcp_send_data(conn);
}

/* tcp_established() - handshake complete: data may flow both ways. */
static void tcp_established(struct tcp_conn *conn)
{
	struct ctx *c = tcp_ctx(conn);

	tcp_set_state(conn, TCPS_ESTABLISHED);
	conn->retries = 0;
	conn->rto_ms = TCP_RTO_INIT_MS;
	ev_timer_stop(c->loop, &conn->rto);
	ev_io_start(c->loop, &conn->io_r);
	ev_timer_again(c->loop, &conn->idle);
}

/* tcp_connect_done() - the host connect() finished (@e: its error, or -1 to
 * read it from the socket): SYN-ACK to the guest, or RST on failure. */
static void tcp_connect_done(struct tcp_conn *conn, int e)
{
	struct ctx *c = tcp_ctx(conn);
	socklen_t sl = sizeof(e);

	if (e < 0 && getsockopt(conn->sock, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
		e = errno;
	if (e) {
		STAT_INC(&c->stats, TCP_REFUSED);
		tcp_conn_close(conn, TCP_CLOSE_RST, strerror(e));
		return;
	}
	STAT_INC(&c->stats, TCP_OPENED);
	tcp_set_state(conn, TCPS_SYNACK_SENT);
	tcp_send_ctl(conn, TCP_SYN | TCP_ACK, conn->snd_una);
	conn->snd_nxt = conn->snd_max = conn->snd_una + 1;
	ev_timer_stop(c->loop, &conn->rto);
	ev_timer_set(&conn->rto, conn->rto_ms / 1000.0, 0);
	ev_timer_start(c->loop, &conn->rto);
}

/* tcp_sock_w_cb() - connect completion, or room again in the host send buffer. */
static void tcp_sock_w_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *conn = container_of(w, struct tcp_conn, io_w);

	ev_io_stop(loop, w);
	if (conn->state == TCPS_CONNECTING) {
		tcp_connect_done(conn, -1);
		return;
	}
	conn->flags &= (uint16_t)~TCP_F_WANT_WND;
	if (conn->state != TCPS_ESTABLISHED)
		return;
	/* Window update: the guest may send again. */
	tcp_send_ctl(conn, TCP_ACK, conn->snd_nxt);
	if (conn->flags & TCP_F_SHORT_WRITE) {
		/* Part of a segment did not fit: three duplicate ACKs make the
		 * guest retransmit it now rather than at its timeout. */
		conn->flags &= (uint16_t)~TCP_F_SHORT_WRITE;
		tcp_send_dup_acks(conn, 3);
	}
}

/* tcp_rto_cb() - retransmission, handshake and zero-window timer. */
static void tcp_rto_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_conn *conn = container_of(w, struct tcp_conn, rto);

	if (conn->state == TCPS_CONNECTING) {
		tcp_conn_close(conn, TCP_CLOSE_RST, "host connect timed out");
		return;
	}
	if (++conn->retries > TCP_RETRIES_MAX) {
		tcp_conn_close(conn, TCP_CLOSE_RST, "guest stopped acknowledging");
		return;
	}
	conn->rto_ms = MIN(conn->rto_ms * 2, TCP_RTO_MAX_MS);
	switch (conn->state) {
	case TCPS_SYNACK_SENT:
		tcp_send_ctl(conn, TCP_SYN | TCP_ACK, conn->snd_una);
		break;
	case TCPS_SYN_SENT:
		tcp_send_ctl(conn, TCP_SYN, conn->snd_una);
		break;
	default:
		if (conn->snd_una != conn->snd_nxt) {
			tcp_retransmit(conn);
		} else if (!conn->snd_wnd) {
			/* Zero window: a segment below the window makes the guest
			 * answer with its current window (and proves it alive). */
			tcp_send_ctl(conn, TCP_ACK, conn->snd_una - 1);
		} else {
			conn->retries = 0;
			return; /* nothing in flight, window open: nothing to time */
		}
	}
	ev_timer_set(w, conn->rto_ms / 1000.0, 0);
	ev_timer_start(loop, w);
}

/* tcp_idle_cb() - nothing moved for the idle timeout: reset both sides. */
static void tcp_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	tcp_conn_close(container_of(w, struct tcp_conn, idle), TCP_CLOSE_RST, "idle timeout");
}

/* tcp_conn_new() - allocate a connection with its socket and watchers; NULL if full. */
static struct tcp_conn *tcp_conn_new(struct guest *g, const struct flow_key *key, int sock)
{
	struct ctx *c = g->c;
	struct flow_common *f = flow_alloc(c, FLOW_TCP, g, key);
	struct tcp_conn *conn;
	int one = 1;

	if (!f)
		return NULL;
	conn = container_of(f, struct tcp_conn, f);
	conn->sock = sock;
	conn->rto_ms = TCP_RTO_INIT_MS;
	conn->ws_ours = TCP_WS_OURS;
	/* We take any frame the link carries: the guest clamps to its own MTU. */
	conn->mss = CONF_MTU_MAX - IP4_HLEN - TCP_HLEN;
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->peek_off < 0) {
		int zero = 0;

		c->peek_off = !setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
		if (!c->peek_off)
			info("SO_PEEK_OFF not supported on TCP: peeking past sent data instead");
	} else if (c->peek_off) {
		int zero = 0;

		setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	}
	ev_io_init(&conn->io_r, tcp_sock_r_cb, sock, EV_READ);
	ev_io_init(&conn->io_w, tcp_sock_w_cb, sock, EV_WRITE);
	ev_init(&conn->rto, tcp_rto_cb);
	ev_init(&conn->idle, tcp_idle_cb);
	conn->idle.repeat = c->conf->tcp_idle_s;
	return conn;
}

/* tcp_isn() - an unpredictable initial sequence number for our side. */
static uint32_t tcp_isn(void)
{
	uint32_t isn;

	if (getrandom(&isn, sizeof(isn), GRND_NONBLOCK) != sizeof(isn))
		isn = (uint32_t)random() ^ ((uint32_t)random() << 16);
	return isn;
}

/* tcp_syn_from_guest() - a new connection from the guest: connect on the host. */
static void tcp_syn_from_guest(struct guest *g, const struct ip4_hdr *ip,
			       const struct tcp_seg *s, const struct flow_key *key)
{
	struct ctx *c = g->c;
	struct sockaddr_in sa;
	struct tcp_conn *conn;
	int sock;

	if ((s->flags & (TCP_ACK | TCP_RST | TCP_FIN)) ||
	    nat_to_host(c, IP4_PROTO_TCP, ip->dst, s->dport, &sa) < 0) {
		if (!(s->flags & TCP_RST))
			STAT_INC(&c->stats, BAD_DEST);
		tcp_rst_reply(g, ip, s);
		return;
	}
	sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		warn("tcp: socket: %s", strerror(errno));
		tcp_rst_reply(g, ip, s);
		return;
	}
	conn = tcp_conn_new(g, key, sock);
	if (!conn) {
		close(sock);
		tcp_rst_reply(g, ip, s);
		return;
	}
	conn->rcv_nxt = s->seq + 1;
	conn->snd_una = tcp_isn();
	conn->snd_nxt = conn->snd_max = conn->snd_una;
	conn->mss = (uint16_t)MIN(conn->mss, s->mss ? s->mss : TCP_MSS_GUEST_DEFAULT);
	if (s->ws >= 0) {
		conn->flags |= TCP_F_WS;
		conn->ws_guest = (uint8_t)s->ws;
	} else {
		conn->ws_ours = 0;
	}
	conn->snd_wnd = s->wnd;
	tcp_set_state(conn, TCPS_CONNECTING);
	ev_timer_set(&conn->rto, TCP_CONNECT_TIMEOUT_S, 0);
	ev_timer_start(c->loop, &conn->rto);
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		tcp_connect_done(conn, 0);
		return;
	}
	if (errno != EINPROGRESS) {
		/* Failed at once (unreachable, refused by policy): the socket
		 * holds no pending error, connect() told it. */
		tcp_connect_done(conn, errno);
		return;
	}
	ev_io_start(c->loop, &conn->io_w);
}

/* tcp_conn_done() - both directions closed and acknowledged? Then free. */
int tcp_conn_done(struct tcp_conn *conn)
{
	if ((conn->flags & TCP_F_GUEST_FIN) && (conn->flags & TCP_F_FIN_SENT) &&
	    conn->snd_una == conn->snd_nxt) {
		/* Send the final ACK of the guest's FIN before going. */
		if (conn->flags & TCP_F_ACK_DUE)
			tcp_send_ctl(conn, TCP_ACK, conn->snd_nxt);
		tcp_conn_close(conn, 0, "closed by both sides");
		return 1;
	}
	return 0;
}

/* tcp_conn_input() - a guest segment for an existing connection. */
static void tcp_conn_input(struct tcp_conn *conn, const struct ip4_hdr *ip,
			   const struct tcp_seg *s)
{
	struct ctx *c = tcp_ctx(conn);

	if (s->flags & TCP_RST) {
		/* Accept a RST within the window (RFC 5961 would be stricter). */
		if (conn->state == TCPS_SYN_SENT || !seq_lt(s->seq, conn->rcv_nxt) ||
		    s->seq == conn->rcv_nxt - 1)
			tcp_conn_close(conn, TCP_CLOSE_RST_HOST, "reset by guest");
		return;
	}
	ev_timer_again(c->loop, &conn->idle);
	switch (conn->state) {
	case TCPS_CONNECTING:
		return; /* a retransmitted SYN: the SYN-ACK waits for the host */
	case TCPS_SYN_SENT:
		if ((s->flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) ||
		    s->ack != conn->snd_una + 1) {
			tcp_rst_reply(conn->f.g, ip, s);
			return;
		}
		conn->rcv_nxt = s->seq + 1;
		conn->snd_una = conn->snd_nxt = conn->snd_max = s->ack;
		conn->mss = (uint16_t)MIN(conn->mss, s->mss ? s->mss : TCP_MSS_GUEST_DEFAULT);
		if (s->ws >= 0) {
			conn->flags |= TCP_F_WS;
			conn->ws_guest = (uint8_t)s->ws;
		} else {
			conn->ws_ours = 0;
		}
		conn->snd_wnd = s->wnd;
		tcp_established(conn);
		tcp_send_ctl(conn, TCP_ACK, conn->snd_nxt);
		tcp_send_data(conn);
		return;
	case TCPS_SYNACK_SENT:
		if (s->flags & TCP_SYN) {
			tcp_send_ctl(conn, TCP_SYN | TCP_ACK, conn->snd_una);
			return;
		}
		if (!(s->flags & TCP_ACK) || s->ack != conn->snd_nxt)
			return;
		conn->snd_una = conn->snd_nxt;
		tcp_established(conn);
		break;
	default:
		if (s->flags & TCP_SYN) {
			tcp_ack_later(conn); /* SYN on an open connection: ignore, ACK */
			return;
		}
		break;
	}
	if (!(s->flags & TCP_ACK))
		return;
	tcp_guest_ack(conn, s);
	if (conn->f.type != FLOW_TCP)
		return;
	tcp_guest_data(conn, s);
	if (conn->f.type == FLOW_TCP && tcp_ctx(conn)->tcp_batch->conn != conn)
		tcp_conn_done(conn);
}

/**
 * tcp_input() - one TCP segment from a guest
 * @g:		guest
 * @ip:		its validated IPv4 packet
 */
void tcp_input(struct guest *g, const struct ip4_hdr *ip)
{
	struct ctx *c = g->c;
	struct flow_common *f;
	struct flow_key key;
	struct tcp_seg s;
	int ret = tcp_parse(ip, &s);

	if (ret) {
		if (ret == -2)
			STAT_INC(&c->stats, BAD_L4_CSUM);
		else
			STAT_INC(&c->stats, BAD_L4);
		return;
	}
	memset(&key, 0, sizeof(key));
	key.guest = (uint16_t)g->id;
	key.proto = IP4_PROTO_TCP;
	key.gaddr = ip->src;
	key.gport = s.sport;
	key.raddr = ip->dst;
	key.rport = s.dport;
	f = flow_lookup(c, &key);
	if (f) {
		tcp_conn_input(container_of(f, struct tcp_conn, f), ip, &s);
		return;
	}
	if (s.flags & TCP_SYN)
		tcp_syn_from_guest(g, ip, &s, &key);
	else
		tcp_rst_reply(g, ip, &s);
}

/**
 * tcp_map_accept() - a host client connected to a TCP port map
 * @c:		daemon context
 * @fd:		accepted socket (non-blocking); owned from now on
 * @guest_port:	guest port to connect to
 *
 * Return: 0, or -errno (the client is reset) when no guest can take it.
 */
int tcp_map_accept(struct ctx *c, int fd, uint16_t guest_port)
{
	struct guest *g = guest_primary(c);
	struct sockaddr_in peer;
	socklen_t sl = sizeof(peer);
	struct flow_key key;
	struct tcp_conn *conn;
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	int tries;

	if (!g || !g->addr || getpeername(fd, (struct sockaddr *)&peer, &sl) < 0)
		goto refuse;
	memset(&key, 0, sizeof(key));
	key.guest = (uint16_t)g->id;
	key.proto = IP4_PROTO_TCP;
	key.gaddr = g->addr;
	key.gport = guest_port;
	key.raddr = c->conf->gw;
	key.rport = ntohs(peer.sin_port);
	/* The client's port, unless a flow already uses it. */
	for (tries = 0; flow_lookup(c, &key) && tries < 16; tries++)
		key.rport = (uint16_t)(49152 + random() % 16384);
	if (tries == 16)
		goto refuse;
	conn = tcp_conn_new(g, &key, fd);
	if (!conn)
		goto refuse;
	conn->snd_una = tcp_isn();
	conn->snd_nxt = conn->snd_max = conn->snd_una + 1;
	tcp_set_state(conn, TCPS_SYN_SENT);
	tcp_send_ctl(conn, TCP_SYN, conn->snd_una);
	ev_timer_set(&conn->rto, conn->rto_ms / 1000.0, 0);
	ev_timer_start(c->loop, &conn->rto);
	ev_timer_again(c->loop, &conn->idle);
	return 0;
refuse:
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
	return -ECONNREFUSED;
}

/**
 * tcp_init() - allocate the TCP relay's per-daemon state
 * @c:		daemon context
 *
 * Return: 0, or -ENOMEM.
 */
int tcp_init(struct ctx *c)
{
	unsigned seed;

	/* random() picks port-map source ports: not the same in every run. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	srandom(seed);
	c->tcp_batch = calloc(1, sizeof(*c->tcp_batch));
	return c->tcp_batch ? 0 : -ENOMEM;
}

/**
 * tcp_fini() - free the TCP relay's per-daemon state
 * @c:		daemon context
 */
void tcp_fini(struct ctx *c)
{
	free(c->tcp_batch);
	c->tcp_batch = NULL;
}
