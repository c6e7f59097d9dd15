// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* tcp_data.c - the TCP data path: host data peeked into guest frames, guest payload batched into host writes.
 *
 * See the theory of operation in tcp.c.  Host to guest: tcp_send_data()
 * reserves frames in the guest link's output buffer, peeks the host
 * socket's unsent bytes straight into them (SO_PEEK_OFF keeps the peek
 * offset past what was already sent) and commits them within the guest's
 * window; tcp_guest_ack() discards acknowledged bytes from the socket.
 * Guest to host: tcp_guest_data() batches in-order payload, pointing into
 * the link's input buffer, and tcp_batch_flush() writes a batch with one
 * sendmsg(), acknowledging only what the socket took.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>

#include "slirpish/log.h"
#include "slirpish/tcp.h"
#include "slirpish/tcp_conn.h"

/**
 * tcp_update_rcv_wnd() - compute the window to advertise, and watch it reopen
 * @conn:	connection
 *
 * Every segment to the guest carries the window; when it is small, the
 * host socket's writability is watched so that a window update follows
 * as soon as the socket drains (tcp_sock_w_cb()).
 */
void tcp_update_rcv_wnd(struct tcp_conn *conn)
{
	conn->rcv_wnd = tcp_our_window(conn);
	if (conn->rcv_wnd < 4u * conn->mss && !(conn->flags & TCP_F_WANT_WND) &&
	    conn->state == TCPS_ESTABLISHED) {
		conn->flags |= TCP_F_WANT_WND;
		ev_io_start(tcp_ctx(conn)->loop, &conn->io_w);
	}
}

/**
 * tcp_our_window() - how much more the host socket's send buffer takes, bytes
 * @conn:	connection
 *
 * The kernel accounts the send buffer in memory, not payload: estimate
 * the payload that fits in the free memory from the ratio of queued
 * payload to queued memory (half when nothing is queued), so that a write
 * within the advertised window is not cut short.
 *
 * Return: the window to advertise to the guest.
 */
uint32_t tcp_our_window(struct tcp_conn *conn)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t sl = sizeof(mi);
	uint32_t max = 65535u << (conn->flags & TCP_F_WS ? conn->ws_ours : 0);
	int outq = 0;
	uint64_t freemem, w;

	if (getsockopt(conn->sock, SOL_SOCKET, SO_MEMINFO, mi, &sl) < 0 ||
	    ioctl(conn->sock, SIOCOUTQ, &outq) < 0)
		return conn->mss;
	if (mi[SK_MEMINFO_WMEM_QUEUED] >= mi[SK_MEMINFO_SNDBUF])
		return 0;
	freemem = mi[SK_MEMINFO_SNDBUF] - mi[SK_MEMINFO_WMEM_QUEUED];
	if (outq > 0 && mi[SK_MEMINFO_WMEM_QUEUED] > (uint32_t)outq)
		w = freemem * (uint64_t)outq / mi[SK_MEMINFO_WMEM_QUEUED];
	else
		w = freemem / 2;
	return (uint32_t)MIN(w, max);
}

/* tcp_ack_later() - queue an ACK to the guest for the end of this loop iteration. */
void tcp_ack_later(struct tcp_conn *conn)
{
	struct ctx *c = tcp_ctx(conn);

	conn->flags |= TCP_F_ACK_DUE;
	/* The ACK may have gone out with data meanwhile (ACK_DUE cleared):
	 * the list membership is a flag of its own, so a connection is never
	 * listed twice. */
	if (conn->flags & TCP_F_ACK_LISTED)
		return;
	conn->flags |= TCP_F_ACK_LISTED;
	conn->ack_next = c->tcp_acks;
	c->tcp_acks = conn;
}

/**
 * tcp_flush_acks() - send the ACKs queued during this loop iteration
 * @c:		daemon context
 */
void tcp_flush_acks(struct ctx *c)
{
	struct tcp_conn *conn = c->tcp_acks;

	c->tcp_acks = NULL;
	while (conn) {
		struct tcp_conn *next = conn->ack_next;

		conn->flags &= (uint16_t)~TCP_F_ACK_LISTED;
		if (conn->f.type == FLOW_TCP && (conn->flags & TCP_F_ACK_DUE)) {
			tcp_send_ctl(conn, TCP_ACK, conn->snd_nxt);
			conn->flags &= (uint16_t)~TCP_F_ACK_DUE;
		}
		conn = next;
	}
}

/* tcp_peek_rewind() - make the next peek start at the oldest unacknowledged byte. */
static void tcp_peek_rewind(struct tcp_conn *conn)
{
	int zero = 0;

	if (tcp_ctx(conn)->peek_off > 0)
		setsockopt(conn->sock, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	conn->snd_nxt = conn->snd_una;
	conn->flags &= (uint16_t)~TCP_F_FIN_SENT;
}

/* tcp_retransmit() - go back to the oldest unacknowledged byte and send again. */
void tcp_retransmit(struct tcp_conn *conn)
{
	STAT_INC(&tcp_ctx(conn)->stats, TCP_RETRANSMITS);
	tcp_peek_rewind(conn);
	tcp_send_data(conn);
}

/* tcp_send_fin() - our FIN, once every byte before it has been sent. */
static void tcp_send_fin(struct tcp_conn *conn)
{
	if (!(conn->flags & TCP_F_HOST_EOF) || (conn->flags & TCP_F_FIN_SENT))
		return;
	if (tcp_send_ctl(conn, TCP_FIN | TCP_ACK, conn->snd_nxt))
		return;
	conn->flags |= TCP_F_FIN_SENT | TCP_F_FIN_EVER;
	conn->snd_nxt++;
	if (seq_lt(conn->snd_max, conn->snd_nxt))
		conn->snd_max = conn->snd_nxt;
	tcp_rto_arm(conn);
}

/**
 * tcp_peek() - read unsent host data into @n reserved frames without consuming it
 * @conn:	connection
 * @iov:	payload areas of the frames
 * @n:		number of frames
 *
 * Return: bytes peeked, 0 at end of file, -EAGAIN, or -errno.
 */
static ssize_t tcp_peek(struct tcp_conn *conn, struct iovec *iov, int n)
{
	static uint8_t discard[TCP_DISCARD_SIZE];
	struct iovec all[TCP_BATCH + 256];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	uint32_t skip = conn->snd_nxt - conn->snd_una - !!(conn->flags & TCP_F_FIN_SENT);
	ssize_t r;
	int k = 0;

	if (tcp_ctx(conn)->peek_off <= 0 && skip) {
		/* No SO_PEEK_OFF: peek the already-sent bytes into a scratch buffer. */
		while (skip && k < 256) {
			all[k].iov_base = discard;
			all[k].iov_len = MIN(skip, TCP_DISCARD_SIZE);
			skip -= (uint32_t)all[k++].iov_len;
		}
		if (skip)
			return -TCP_WAIT_ACK; /* more in flight than we can skip */
		memcpy(all + k, iov, sizeof(*iov) * (size_t)n);
		mh.msg_iov = all;
		mh.msg_iovlen = (size_t)(k + n);
	}
	r = recvmsg(conn->sock, &mh, MSG_PEEK | MSG_DONTWAIT);
	if (r < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (k) {
		size_t skipped = 0;
		int i;

		for (i = 0; i < k; i++)
			skipped += all[i].iov_len;
		/* Nothing past what was sent: new data or EOF show up once the
		 * guest acknowledges and there is nothing left to skip. */
		if ((size_t)r <= skipped)
			return -TCP_WAIT_ACK;
		r -= (ssize_t)skipped;
	}
	return r;
}

/* tcp_send_data() - send as much unsent host data as the guest's window allows. */
void tcp_send_data(struct tcp_conn *conn)
{
	struct ctx *c = tcp_ctx(conn);
	struct guest *g = conn->f.g;
	uint8_t *frames[TCP_BATCH];
	struct iovec iov[TCP_BATCH];
	uint32_t inflight, wnd, room;
	size_t seg = g->vnet ? GUEST_GSO_MAX : conn->mss, seglen = TCP_HLEN + seg;
	ssize_t got;
	size_t used;
	int n = 0, i;

	if (conn->state != TCPS_ESTABLISHED || (conn->flags & TCP_F_FIN_SENT))
		return;
	inflight = conn->snd_nxt - conn->snd_una;
	wnd = conn->snd_wnd > inflight ? conn->snd_wnd - inflight : 0;
	if (!wnd) {
		/* Window closed: wait for the guest's update (the timer probes). */
		ev_io_stop(c->loop, &conn->io_r);
		if (!ev_is_active(&conn->rto)) {
			ev_timer_set(&conn->rto, conn->rto_ms / 1000.0, 0);
			ev_timer_start(c->loop, &conn->rto);
		}
		return;
	}
	room = (uint32_t)MIN(guest_tx_room(g), 1u << 30);
	/* Leave room for the ACKs and control frames of other flows. */
	room = room > TCP_TX_RESERVE ? room - TCP_TX_RESERVE : 0;
	while (n < TCP_BATCH && wnd && room >= IP4_L4_OFF + seglen + 4) {
		size_t plen = MIN(wnd, seg);

		frames[n] = ip4_frame_alloc(g, TCP_HLEN + plen);
		if (!frames[n])
			break;
		iov[n].iov_base = frames[n] + IP4_L4_OFF + TCP_HLEN;
		iov[n].iov_len = plen;
		wnd -= (uint32_t)plen;
		room -= (uint32_t)(IP4_L4_OFF + seglen + 4);
		n++;
	}
	if (!n) {
		/* The guest link is full: resume from tcp_guest_writable(). */
		if (!(conn->flags & TCP_F_BLOCKED)) {
			conn->flags |= TCP_F_BLOCKED;
			conn->blk_next = c->tcp_blocked;
			c->tcp_blocked = conn;
		}
		ev_io_stop(c->loop, &conn->io_r);
		return;
	}
	got = tcp_peek(conn, iov, n);
	if (got <= 0) {
		guest_frame_cancel(g);
		if (got == 0) {
			conn->flags |= TCP_F_HOST_EOF;
			ev_io_stop(c->loop, &conn->io_r);
			tcp_send_fin(conn);
		} else if (got == -TCP_WAIT_ACK) {
			ev_io_stop(c->loop, &conn->io_r);
		} else if (got == -EAGAIN) {
			/* Nothing to send now: the window is open, so wake up
			 * when the host has more (the watcher may have been
			 * stopped while the window was closed). */
			ev_io_start(c->loop, &conn->io_r);
		} else {
			tcp_conn_close(conn, TCP_CLOSE_RST, strerror((int)-got));
		}
		return;
	}
	/* The window in these segments is fresh, as in any ACK we send. */
	tcp_update_rcv_wnd(conn);
	/* Only the frames that got data are kept; the last of them may shrink. */
	for (i = 0, used = 0; used < (size_t)got; i++)
		used += iov[i].iov_len;
	guest_frame_cancel_after(g, frames[i - 1]);
	for (i = 0; i < n && got > 0; i++) {
		size_t plen = MIN((size_t)got, iov[i].iov_len);
		uint8_t fl = TCP_ACK | ((size_t)got == plen ? TCP_PSH : 0);

		/* Commit first: only the last reservation may shrink. */
		tcp_fill(conn, frames[i] + IP4_L4_OFF, conn->snd_nxt, fl, plen);
		ip4_frame_send(g, frames[i], IP4_PROTO_TCP, conn->f.key.raddr, conn->f.key.gaddr,
			       TCP_HLEN + plen);
		conn->snd_nxt += (uint32_t)plen;
		if (seq_lt(conn->snd_max, conn->snd_nxt))
			conn->snd_max = conn->snd_nxt;
		got -= (ssize_t)plen;
	}
	guest_frame_cancel(g);
	conn->flags &= (uint16_t)~TCP_F_ACK_DUE;
	tcp_rto_arm(conn);
	ev_io_start(c->loop, &conn->io_r);
}

/* tcp_guest_ack() - process the ACK field and window of a guest segment. */
void tcp_guest_ack(struct tcp_conn *conn, const struct tcp_seg *s)
{
	struct ctx *c = tcp_ctx(conn);
	uint32_t acked, data_acked, old_wnd = conn->snd_wnd;

	conn->snd_wnd = (uint32_t)s->wnd << (conn->flags & TCP_F_WS ? conn->ws_guest : 0);
	if (seq_lt(conn->snd_max, s->ack) || seq_lt(s->ack, conn->snd_una))
		return; /* acknowledges what we never sent, or old: ignore */
	if (seq_lt(conn->snd_nxt, s->ack)) {
		/* A retransmission rewound us, but the guest had it all along:
		 * go on from what it acknowledges. */
		conn->snd_nxt = s->ack;
		if ((conn->flags & TCP_F_FIN_EVER) && s->ack == conn->snd_max)
			conn->flags |= TCP_F_FIN_SENT;
	}
	acked = s->ack - conn->snd_una;
	if (!acked) {
		/* Nothing in flight: the guest answers, it is alive (a zero
		 * window may last as long as its reader sleeps). */
		if (conn->snd_una == conn->snd_nxt)
			conn->retries = 0;
		/* Duplicate ACK: three in a row with data in flight -> fast retransmit. */
		if (!s->len && conn->snd_una != conn->snd_nxt && conn->snd_wnd == old_wnd &&
		    ++conn->dup_acks == 3) {
			conn->dup_acks = 0;
			tcp_retransmit(conn);
		} else if (conn->snd_wnd > old_wnd) {
			tcp_send_data(conn);
		}
		return;
	}
	conn->dup_acks = 0;
	conn->retries = 0;
	conn->rto_ms = MAX(TCP_RTO_MIN_MS, conn->rto_ms / 2);
	data_acked = acked;
	if ((conn->flags & TCP_F_FIN_EVER) && s->ack == conn->snd_max)
		data_acked--; /* the FIN takes a sequence number but no byte */
	if (data_acked) {
		/* The guest has it: drop it from the host socket. */
		ssize_t r = recv(conn->sock, NULL, data_acked, MSG_TRUNC | MSG_DONTWAIT);

		if (r != (ssize_t)data_acked)
			warn("tcp flow %u: discard %u bytes gave %zd", conn->f.idx, data_acked, r);
	}
	conn->snd_una = s->ack;
	ev_timer_stop(c->loop, &conn->rto);
	tcp_rto_arm(conn);
	if (!(conn->flags & TCP_F_BLOCKED))
		tcp_send_data(conn);
}

/* tcp_rcv_next() - next sequence number expected from the guest, counting the batch. */
static uint32_t tcp_rcv_next(const struct tcp_conn *conn)
{
	const struct tcp_batch *b = tcp_ctx(conn)->tcp_batch;

	return b->conn == conn ? b->seq_end : conn->rcv_nxt;
}

/**
 * tcp_batch_flush() - write the batched guest payload to its host socket
 * @c:		daemon context
 *
 * In-order segments of one connection that arrive together are written
 * with one sendmsg(): the host stack then sees one large write instead of
 * many small ones.  What the socket took is acknowledged (at the end of
 * the loop iteration); a short write makes the guest retransmit the rest.
 * Called before the guest link's input buffer, which the batch points
 * into, is reused.
 */
void tcp_batch_flush(struct ctx *c)
{
	struct tcp_batch *b = c->tcp_batch;
	struct tcp_conn *conn = b->conn;
	struct msghdr mh = { .msg_iov = b->iov, .msg_iovlen = (size_t)b->n };
	ssize_t n = 0;

	if (!conn)
		return;
	b->conn = NULL;
	if (b->bytes) {
		n = sendmsg(conn->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				tcp_conn_close(conn, TCP_CLOSE_RST, strerror(errno));
				return;
			}
			n = 0;
		}
		conn->rcv_nxt += (uint32_t)n;
	}
	if (b->fin && (size_t)n == b->bytes) {
		conn->rcv_nxt++;
		conn->flags |= TCP_F_GUEST_FIN;
		shutdown(conn->sock, SHUT_WR);
	}
	if ((size_t)n < b->bytes) {
		/* The host socket is full: wake up when it drains, to reopen. */
		STAT_INC(&c->stats, TCP_SHORT_WRITES);
		conn->flags |= TCP_F_SHORT_WRITE | TCP_F_WANT_WND;
		ev_io_start(c->loop, &conn->io_w);
	}
	tcp_ack_later(conn);
	if (conn->flags & TCP_F_GUEST_FIN)
		tcp_conn_done(conn);
}

/* tcp_guest_data() - queue in-order guest payload for its host socket. */
void tcp_guest_data(struct tcp_conn *conn, const struct tcp_seg *s)
{
	struct tcp_batch *b = tcp_ctx(conn)->tcp_batch;
	const uint8_t *data = s->data;
	size_t len = s->len;
	uint32_t seq = s->seq, next = tcp_rcv_next(conn);
	int fin = !!(s->flags & TCP_FIN);

	if (!len && !fin)
		return;
	if (conn->flags & TCP_F_GUEST_FIN) {
		tcp_ack_later(conn);
		return;
	}
	/* Trim what we already have (a retransmission overlapping new data). */
	if (seq_lt(seq, next)) {
		uint32_t old = next - seq;

		if (old >= len + fin) {
			tcp_ack_later(conn); /* pure retransmission */
			return;
		}
		if (old > len) {
			len = 0;
		} else {
			data += old;
			len -= old;
		}
		seq = next;
	}
	if (seq != next) {
		STAT_INC(&tcp_ctx(conn)->stats, TCP_OUT_OF_ORDER);
		tcp_ack_later(conn); /* out of order: dropped, duplicate ACK */
		return;
	}
	if (b->conn != conn) {
		tcp_batch_flush(tcp_ctx(conn));
		b->conn = conn;
		b->seq_end = conn->rcv_nxt;
		b->n = 0;
		b->bytes = 0;
		b->fin = 0;
	}
	if (len) {
		b->iov[b->n].iov_base = (void *)(uintptr_t)data;
		b->iov[b->n].iov_len = len;
		b->n++;
		b->bytes += len;
		b->seq_end += (uint32_t)len;
	}
	b->fin = fin;
	if (fin || b->n == TCP_BATCH_IOV)
		tcp_batch_flush(tcp_ctx(conn));
}

/**
 * tcp_guest_writable() - a guest link drained: resume connections it stopped
 * @g:		guest
 */
void tcp_guest_writable(struct guest *g)
{
	struct ctx *c = g->c;
	struct tcp_conn *list = c->tcp_blocked, *conn;

	/* Take the whole list first: a connection may block again, and is
	 * then put back on a fresh list. */
	c->tcp_blocked = NULL;
	while ((conn = list)) {
		list = conn->blk_next;
		conn->flags &= (uint16_t)~TCP_F_BLOCKED;
		if (conn->f.g != g) {
			conn->flags |= TCP_F_BLOCKED;
			conn->blk_next = c->tcp_blocked;
			c->tcp_blocked = conn;
			continue;
		}
		tcp_send_data(conn);
	}
}
