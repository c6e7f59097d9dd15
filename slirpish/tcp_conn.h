/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* tcp_conn.h - private to tcp.c: one relayed TCP connection. */
#ifndef SLIRPISH_TCP_CONN_H
#define SLIRPISH_TCP_CONN_H

#include <stdint.h>

#include <ev.h>

#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/ip4.h"

/**
 * enum tcp_state - handshake progress of a connection
 * @TCPS_CONNECTING:	guest SYN seen, host connect() in progress
 * @TCPS_SYNACK_SENT:	host connected, SYN-ACK sent to the guest
 * @TCPS_SYN_SENT:	port map: host client accepted, SYN sent to the guest
 * @TCPS_ESTABLISHED:	data flows (half-closes are tracked by flags)
 * @TCPS_COUNT:	number of states
 */
enum tcp_state {
	TCPS_CONNECTING,
	TCPS_SYNACK_SENT,
	TCPS_SYN_SENT,
	TCPS_ESTABLISHED,
	TCPS_COUNT
};

/* Half-close and bookkeeping flags (struct tcp_conn.flags). */
#define TCP_F_GUEST_FIN	0x01	/* guest's FIN accepted; host socket shut for writing */
#define TCP_F_HOST_EOF	0x02	/* host peer closed its side: FIN due to the guest */
#define TCP_F_FIN_SENT	0x04	/* our FIN is in sequence space (snd_nxt counts it) */
#define TCP_F_WS	0x08	/* window scaling agreed */
#define TCP_F_ACK_DUE	0x10	/* an ACK to the guest is pending (on the ack list) */
#define TCP_F_BLOCKED	0x20	/* stopped reading the host: guest link buffer full */
#define TCP_F_WANT_WND	0x40	/* write watcher armed to reopen our window */
#define TCP_F_SHORT_WRITE 0x80	/* a guest segment was only partly written */
#define TCP_F_FIN_EVER	0x100	/* our FIN was sent once: it is the sequence number snd_max - 1 */
#define TCP_F_ACK_LISTED 0x200	/* on the context's pending-ACK list (until it is flushed) */

/**
 * struct tcp_conn - one connection between a guest socket and a host socket
 * @f:		flow header (key: guest side and remote as the guest sees it)
 * @state:	enum tcp_state
 * @flags:	TCP_F_*
 * @retries:	retransmissions since the last progress
 * @dup_acks:	duplicate ACKs in a row
 * @ws_guest:	guest's window scale (shift applied to its window field)
 * @ws_ours:	our window scale
 * @mss:	largest payload per segment to the guest
 * @sock:	host socket
 * @snd_una:	oldest sequence number the guest has not acknowledged
 * @snd_nxt:	next sequence number to send to the guest
 * @snd_max:	highest sequence number sent so far (a retransmission rewinds
 *		@snd_nxt, and the guest may still acknowledge up to here)
 * @snd_wnd:	guest's receive window, bytes
 * @rcv_nxt:	next sequence number expected from the guest
 * @rcv_wnd:	window we last advertised, bytes
 * @rto_ms:	current retransmission timeout
 * @io_r:	host socket readable
 * @io_w:	host socket writable (connect completion, window reopening)
 * @rto:	retransmission / handshake timer
 * @idle:	idle timer
 * @ack_next:	next connection on the context's pending-ACK list
 * @blk_next:	next connection on the context's blocked list (TCP_F_BLOCKED)
 */
struct tcp_conn {
	struct flow_common f;
	uint8_t state;
	uint16_t flags;
	uint8_t retries;
	uint8_t dup_acks;
	uint8_t ws_guest;
	uint8_t ws_ours;
	uint16_t mss;
	int sock;
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_max;
	uint32_t snd_wnd;
	uint32_t rcv_nxt;
	uint32_t rcv_wnd;
	uint32_t rto_ms;
	ev_io io_r;
	ev_io io_w;
	ev_timer rto;
	ev_timer idle;
	struct tcp_conn *ack_next;
	struct tcp_conn *blk_next;
};


#define TCP_HLEN 20
#define TCP_OPT_SYN_LEN 8	/* MSS (4) + NOP + window scale (3) */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define TCP_WS_OURS 7		/* our window scale: windows up to 8 MiB */
#define TCP_MSS_GUEST_DEFAULT 536	/* RFC 9293, when the guest gives none */
#define TCP_BATCH 64		/* segments per peek */
#define TCP_RTO_INIT_MS 1000
#define TCP_RTO_MIN_MS 200
#define TCP_RTO_MAX_MS 30000
#define TCP_RETRIES_MAX 10
#define TCP_CONNECT_TIMEOUT_S 30
#define TCP_DISCARD_SIZE 65536	/* fallback without SO_PEEK_OFF */
#define TCP_TX_RESERVE (256u << 10) /* link buffer kept for control frames */
#define TCP_CLOSE_RST_GUEST 1
#define TCP_CLOSE_RST_HOST 2
#define TCP_CLOSE_RST (TCP_CLOSE_RST_GUEST | TCP_CLOSE_RST_HOST)
#define TCP_WAIT_ACK 1000	/* tcp_peek(): nothing new until the guest acknowledges */

/**
 * struct tcp_seg - a validated TCP segment from a guest
 * @sport:	source port
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgement number
 * @flags:	TCP_* flags
 * @wnd:	window field (unscaled)
 * @mss:	MSS option, 0 if absent
 * @ws:		window-scale option, -1 if absent
 * @data:	payload
 * @len:	payload length
 */
struct tcp_seg {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t wnd;
	uint16_t mss;
	int ws;
	const uint8_t *data;
	size_t len;
};

/* tcp_ctx() - the daemon context of a connection. */
static inline struct ctx *tcp_ctx(const struct tcp_conn *conn)
{
	return conn->f.g->c;
}

/* tcp.c: segments, handshake, state, closing */
int tcp_send_ctl(struct tcp_conn *conn, uint8_t flags, uint32_t seq);
void tcp_conn_close(struct tcp_conn *conn, unsigned how, const char *why);
size_t tcp_fill(struct tcp_conn *conn, uint8_t *th, uint32_t seq, uint8_t flags, size_t payload);
void tcp_rto_arm(struct tcp_conn *conn);
int tcp_conn_done(struct tcp_conn *conn);

/* tcp_data.c: the data path in both directions */
void tcp_ack_later(struct tcp_conn *conn);
void tcp_guest_ack(struct tcp_conn *conn, const struct tcp_seg *s);
void tcp_guest_data(struct tcp_conn *conn, const struct tcp_seg *s);
uint32_t tcp_our_window(struct tcp_conn *conn);
void tcp_update_rcv_wnd(struct tcp_conn *conn);
void tcp_retransmit(struct tcp_conn *conn);
void tcp_send_data(struct tcp_conn *conn);

#endif /* SLIRPISH_TCP_CONN_H */
