// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_tcp.c - the TCP relay through the daemon, the test playing the guest's TCP stack against real loopback sockets. */

#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "slirpish/flow.h"
#include "slirpish/tcp.h"
#include "slirpish/tcp_conn.h"
#include "tests/unit/harness/harness.h"

static struct harness *h;
static struct hframe *r;
static uint8_t *big_a, *big_b;

#define TCP_TEST_BIG (256u << 10)

static void tcp_test_setup(void)
{
	size_t i;

	r = malloc(sizeof(*r));
	big_a = malloc(TCP_TEST_BIG);
	big_b = malloc(TCP_TEST_BIG);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(big_a);
	ck_assert_ptr_nonnull(big_b);
	for (i = 0; i < TCP_TEST_BIG; i++)
		big_a[i] = (uint8_t)(i * 7 + (i >> 8));
}

static void tcp_test_teardown(void)
{
	free(r);
	free(big_a);
	free(big_b);
}

/* tcp_test_conn() - slirpish's connection for endpoint @t (asserted present). */
static struct tcp_conn *tcp_test_conn(const struct htcp *t)
{
	struct flow_key key;
	struct flow_common *f;

	memset(&key, 0, sizeof(key));
	key.guest = (uint16_t)t->h->gid;
	key.proto = 6;
	key.gaddr = t->gaddr;
	key.gport = t->gport;
	key.raddr = t->raddr;
	key.rport = t->rport;
	f = flow_lookup(&t->h->c, &key);
	ck_assert_ptr_nonnull(f);
	return container_of(f, struct tcp_conn, f);
}

/* tcp_test_inq() - bytes waiting in the receive queue of slirpish's host socket for @t. */
static int tcp_test_inq(const struct htcp *t)
{
	int n = -1;

	ck_assert_int_eq(ioctl(tcp_test_conn(t)->sock, FIONREAD, &n), 0);
	return n;
}

/* tcp_test_expect_ack() - wait for an ACK from slirpish acknowledging everything the guest sent. */
static void tcp_test_expect_ack(struct htcp *t)
{
	struct htcpseg s;

	do
		h_tcp_expect(t, r, &s, H_TIMEOUT_MS);
	while (s.ack != t->snd_nxt);
	ck_assert(s.flags & H_TCP_ACK);
}

/* tcp_test_connected() - listener, harness, handshake and the host's accepted socket. */
static int tcp_test_connected(struct htcp *t, int *lfd, uint16_t mss, int ws, uint16_t wnd)
{
	uint16_t port;
	int s;

	*lfd = h_tcp_listener(&port, 16);
	h = h_setup(NULL);
	h_tcp_init(t, h, 40000, H_GW, port);
	t->mss = mss;
	t->ws = ws;
	t->wnd = wnd;
	h_tcp_connect(t, r);
	s = accept4(*lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ck_assert_msg(s >= 0, "SYN-ACK before the host connection was accept()able");
	return s;
}

/* Handshake, options, data both ways, byte-exact, within the guest's window. */
START_TEST(test_tcp_connect_and_data)
{
	struct htcp t;
	struct htcpseg s;
	int lfd, hs;
	size_t i;

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_OPENED), 1);
	ck_assert_uint_ne(t.peer_mss, 0);
	ck_assert_int_eq(t.peer_ws, 7);
	ck_assert_uint_eq(flow_count(&h->c), 1);

	/* Guest to host: three segments, byte-exact, acknowledged. */
	for (i = 0; i < 3; i++)
		h_tcp_send(&t, H_TCP_ACK | H_TCP_PSH, big_a + i * 1000, 1000);
	ck_assert_uint_eq(h_fd_read(h, hs, big_b, 3000, H_TIMEOUT_MS), 3000);
	ck_assert_mem_eq(big_b, big_a, 3000);
	tcp_test_expect_ack(&t);

	/* Host to guest: 100 KiB in segments of at most the guest's MSS. */
	ck_assert_int_eq(send(hs, big_a, 100000, 0), 100000);
	ck_assert_uint_eq(h_tcp_read(&t, r, big_b, 100000, 1, 5000), 100000);
	ck_assert_mem_eq(big_b, big_a, 100000);

	/* Segments no larger than the guest's MSS. */
	ck_assert_int_eq(send(hs, big_a, 5000, 0), 5000);
	do
		h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	while (!s.len);
	ck_assert_uint_le(s.len, 1460);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* The SYN-ACK waits for the host connection: a listener whose accept queue is full. */
START_TEST(test_tcp_synack_waits_for_host)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct htcp t;
	struct htcpseg s;
	uint16_t port;
	int lfd = h_tcp_listener(&port, 0), filler, hs, one;

	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(H_LOOPBACK);
	sa.sin_port = htons(port);
	ck_assert_int_eq(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
	h = h_setup(NULL);
	h_tcp_init(&t, h, 40001, H_GW, port);
	h_tcp_send(&t, H_TCP_SYN, NULL, 0);
	ck_assert_int_eq(h_tcp_recv(h, r, &s, 500), -1);	/* queue full: no SYN-ACK */
	ck_assert_uint_eq(flow_count(&h->c), 1);
	one = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(one, 0);
	close(one);
	/* The host stack retries its SYN (after 1 s): then the SYN-ACK comes. */
	h_tcp_expect(&t, r, &s, 4000);
	ck_assert_uint_eq(s.flags, H_TCP_SYN | H_TCP_ACK);
	ck_assert_uint_eq(s.ack, t.snd_nxt);
	hs = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(hs, 0);
	close(hs);
	h_teardown(h);
	close(filler);
	close(lfd);
}
END_TEST

/* Nothing listens: RST+ACK to the guest, counted, no flow left. */
START_TEST(test_tcp_refused)
{
	uint16_t port = h_free_tcp_port();
	struct htcp t;
	struct htcpseg s;

	h = h_setup(NULL);
	h_tcp_init(&t, h, 40002, H_GW, port);
	h_tcp_send(&t, H_TCP_SYN, NULL, 0);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert_uint_eq(s.flags, H_TCP_RST | H_TCP_ACK);
	ck_assert_uint_eq(s.ack, t.snd_nxt);
	ck_assert_uint_eq(s.len, 0);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_REFUSED), 1);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_OPENED), 0);
	h_run_for(h, 50);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
}
END_TEST

/*
 * connect() failing at once (here ENETUNREACH: a private network namespace
 * has no route) is a refusal too: RST+ACK, never a SYN-ACK.
 */
START_TEST(test_tcp_connect_fails_at_once)
{
	struct htcp t;
	struct htcpseg s;

	if (h_isolate_net() < 0) {
		fprintf(stderr, "test_tcp_connect_fails_at_once: no network namespace, not run\n");
		return;
	}
	h = h_setup(NULL);
	h_tcp_init(&t, h, 40009, 0xc0000201u, 80);	/* 192.0.2.1: no route */
	h_tcp_send(&t, H_TCP_SYN, NULL, 0);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert_msg(s.flags == (H_TCP_RST | H_TCP_ACK),
		      "flags 0x%02x: a SYN-ACK for a connection the host could not make", s.flags);
	ck_assert_uint_eq(s.ack, t.snd_nxt);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_REFUSED), 1);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_OPENED), 0);
	h_teardown(h);
}
END_TEST

/* Segments of no connection: RST (seq from their ACK field, or RST+ACK). */
START_TEST(test_tcp_unknown_connection)
{
	uint16_t port;
	int lfd = h_tcp_listener(&port, 4);
	struct htcp t;
	struct htcpseg s;

	h = h_setup(NULL);
	h_tcp_init(&t, h, 40003, H_GW, port);
	t.rcv_nxt = 0x55667788u;
	h_tcp_send_at(&t, t.snd_nxt, H_TCP_ACK | H_TCP_PSH, "data", 4);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert_uint_eq(s.flags, H_TCP_RST);
	ck_assert_uint_eq(s.seq, 0x55667788u);
	h_tcp_send_at(&t, t.snd_nxt, H_TCP_PSH, "data", 4);	/* no ACK flag */
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert_uint_eq(s.flags, H_TCP_RST | H_TCP_ACK);
	ck_assert_uint_eq(s.ack, t.snd_nxt + 4);
	h_tcp_send_at(&t, t.snd_nxt, H_TCP_RST, NULL, 0);	/* never answered */
	ck_assert_int_eq(h_tcp_recv(h, r, &s, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_RESETS), 2);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	ck_assert_int_lt(accept4(lfd, NULL, NULL, SOCK_CLOEXEC), 0);	/* nothing connected */
	h_teardown(h);
	close(lfd);
}
END_TEST

/* No ACK from the guest: the same bytes again after the RTO; still queued on the host socket. */
START_TEST(test_tcp_retransmit_timeout)
{
	struct htcp t;
	struct htcpseg s;
	uint8_t first[100];
	uint32_t seq;
	double t0;
	int lfd, hs;

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	ck_assert_int_eq(send(hs, big_a, 100, 0), 100);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	t0 = ev_time();
	ck_assert_uint_eq(s.len, 100);
	seq = s.seq;
	ck_assert_uint_eq(seq, t.rcv_nxt);
	memcpy(first, s.data, 100);
	ck_assert_mem_eq(first, big_a, 100);
	ck_assert_int_eq(tcp_test_inq(&t), 100);	/* slirpish keeps no copy */

	h_tcp_expect(&t, r, &s, 3000);
	ck_assert_double_ge(ev_time() - t0, 0.8);
	ck_assert_uint_eq(s.seq, seq);
	ck_assert_uint_eq(s.len, 100);
	ck_assert_mem_eq(s.data, first, 100);
	ck_assert_uint_ge(h_stat(h, STAT_TCP_RETRANSMITS), 1);

	/* Acknowledged: discarded from the socket, and never sent again. */
	t.rcv_nxt = seq + 100;
	h_tcp_send(&t, H_TCP_ACK, NULL, 0);
	h_run_for(h, 50);
	ck_assert_int_eq(tcp_test_inq(&t), 0);
	ck_assert_int_eq(send(hs, "next", 4, 0), 4);
	ck_assert_uint_eq(h_tcp_read(&t, r, big_b, 4, 1, H_TIMEOUT_MS), 4);
	ck_assert_mem_eq(big_b, "next", 4);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Three duplicate ACKs: the first unacknowledged segment again, at once. */
START_TEST(test_tcp_fast_retransmit)
{
	struct htcp t;
	struct htcpseg s;
	uint32_t base;
	int lfd, hs, i;

	hs = tcp_test_connected(&t, &lfd, 1000, 0, 65535);
	base = t.rcv_nxt;
	ck_assert_int_eq(send(hs, big_a, 3000, 0), 3000);
	ck_assert_uint_eq(h_tcp_read(&t, r, big_b, 3000, 0, H_TIMEOUT_MS), 3000);
	ck_assert_mem_eq(big_b, big_a, 3000);
	t.rcv_nxt = base + 1000;
	for (i = 0; i < 4; i++)		/* one new ACK, three duplicates */
		h_tcp_send(&t, H_TCP_ACK, NULL, 0);
	h_tcp_expect(&t, r, &s, 400);	/* before the RTO (500 ms after an ACK) */
	ck_assert_uint_eq(s.seq, base + 1000);
	ck_assert_uint_eq(s.len, 1000);
	ck_assert_mem_eq(s.data, big_a + 1000, 1000);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_RETRANSMITS), 1);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Guest FIN first: the host reads EOF, still sends; then the host closes; flow freed. */
START_TEST(test_tcp_half_close_guest_first)
{
	struct htcp t;
	int lfd, hs;
	char buf[16];

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	h_tcp_send(&t, H_TCP_ACK | H_TCP_FIN, "hello", 5);
	ck_assert_uint_eq(h_fd_read(h, hs, buf, sizeof(buf), H_TIMEOUT_MS), 5);	/* then EOF */
	ck_assert_mem_eq(buf, "hello", 5);
	tcp_test_expect_ack(&t);	/* the FIN is acknowledged */

	ck_assert_int_eq(send(hs, "late reply", 10, 0), 10);
	ck_assert_uint_eq(h_tcp_read(&t, r, buf, 10, 1, H_TIMEOUT_MS), 10);
	ck_assert_mem_eq(buf, "late reply", 10);
	ck_assert_uint_eq(flow_count(&h->c), 1);

	close(hs);
	ck_assert_uint_eq(h_tcp_read(&t, r, buf, sizeof(buf), 1, H_TIMEOUT_MS), 0);
	ck_assert(t.fin_seen);
	h_run_for(h, 100);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Host closes first: the guest gets every byte, then the FIN; its FIN ends the flow. */
START_TEST(test_tcp_half_close_host_first)
{
	struct htcp t;
	int lfd, hs;

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	ck_assert_int_eq(send(hs, big_a, 50000, 0), 50000);
	close(hs);
	ck_assert_uint_eq(h_tcp_read(&t, r, big_b, 60000, 1, 5000), 50000);
	ck_assert_mem_eq(big_b, big_a, 50000);
	ck_assert(t.fin_seen);
	ck_assert_uint_eq(flow_count(&h->c), 1);
	h_tcp_send(&t, H_TCP_ACK | H_TCP_FIN, NULL, 0);
	tcp_test_expect_ack(&t);
	h_run_for(h, 100);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Guest RST: the host peer sees a reset, the flow goes. */
START_TEST(test_tcp_guest_rst)
{
	struct htcp t;
	int lfd, hs;
	char buf[8];
	ssize_t n;

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	h_tcp_send_at(&t, t.snd_nxt, H_TCP_RST, NULL, 0);
	ck_assert_int_eq(h_run_until_readable(h, hs, H_TIMEOUT_MS), 0);
	n = recv(hs, buf, sizeof(buf), MSG_DONTWAIT);
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(errno, ECONNRESET);
	h_run_for(h, 50);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* A 1000-byte window (no scaling): nothing beyond it; each ACK opens the next 1000. */
START_TEST(test_tcp_small_window)
{
	struct htcp t;
	struct htcpseg s;
	uint32_t base;
	size_t got = 0;
	int lfd, hs;

	hs = tcp_test_connected(&t, &lfd, 1460, -1, 1000);
	/* No scaling asked: RFC 7323 2.2 allows no window-scale option in
	 * this SYN-ACK. */
	ck_assert_int_eq(t.peer_ws, -1);
	base = t.rcv_nxt;
	ck_assert_int_eq(send(hs, big_a, 5000, 0), 5000);
	ck_assert_uint_eq(h_tcp_read(&t, r, big_b, 1000, 0, H_TIMEOUT_MS), 1000);
	/* Nothing beyond the window (shorter than the 200 ms minimum RTO). */
	ck_assert_int_eq(h_tcp_recv(h, r, &s, 100), -1);
	while (got < 5000) {
		ck_assert_uint_eq(t.rcv_nxt, base + got + 1000);
		got += 1000;
		h_tcp_send(&t, H_TCP_ACK, NULL, 0);	/* window 1000 again */
		if (got == 5000)
			break;
		ck_assert_uint_eq(h_tcp_read(&t, r, big_b + got, 1000, 0, H_TIMEOUT_MS), 1000);
		ck_assert_int_eq(h_tcp_recv(h, r, &s, 50), -1);
	}
	ck_assert_mem_eq(big_b, big_a, 5000);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* A segment beyond rcv_nxt: dropped with a duplicate ACK; the in-order one is taken. */
START_TEST(test_tcp_out_of_order)
{
	struct htcp t;
	struct htcpseg s;
	int lfd, hs;
	char buf[16];

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	h_tcp_send_at(&t, t.snd_nxt + 5, H_TCP_ACK, "world", 5);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert_uint_eq(s.flags & (H_TCP_ACK | H_TCP_SYN | H_TCP_FIN | H_TCP_RST), H_TCP_ACK);
	ck_assert_uint_eq(s.ack, t.snd_nxt);
	ck_assert_uint_eq(s.len, 0);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_OUT_OF_ORDER), 1);
	ck_assert_int_eq(recv(hs, buf, sizeof(buf), MSG_DONTWAIT), -1);

	h_tcp_send(&t, H_TCP_ACK, "hello", 5);
	h_tcp_send(&t, H_TCP_ACK, "world", 5);
	ck_assert_uint_eq(h_fd_read(h, hs, buf, 10, H_TIMEOUT_MS), 10);
	ck_assert_mem_eq(buf, "helloworld", 10);
	tcp_test_expect_ack(&t);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Bad checksum: counted, no effect; malformed headers: BAD_L4. */
START_TEST(test_tcp_bad_segments)
{
	uint8_t f[256];
	struct htcp t;
	struct htcpseg s;
	size_t len;
	int lfd, hs;
	char buf[8];

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	len = h_build_tcp(h, f, H_GUEST, t.gport, H_GW, t.rport, t.snd_nxt, t.rcv_nxt,
			  H_TCP_ACK, 65535, "evil", 4);
	f[34 + 16] ^= 0x40;
	h_send(h, f, len);
	ck_assert_int_eq(h_tcp_recv(h, r, &s, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4_CSUM), 1);
	ck_assert_int_eq(recv(hs, buf, sizeof(buf), MSG_DONTWAIT), -1);

	/* A SYN with a bad checksum opens nothing. */
	len = h_build_tcp(h, f, H_GUEST, 41000, H_GW, t.rport, 1, 0, H_TCP_SYN, 65535, NULL, 0);
	f[34 + 17] ^= 1;
	h_send(h, f, len);
	/* 10 bytes of TCP: no header. */
	len = h_build_ip4(h, f, 6, H_GUEST, H_GW, "0123456789", 10);
	h_send(h, f, len);
	/* Data offset 4 (16 bytes), and 15 (60 bytes) in a 24-byte segment. */
	len = h_build_tcp(h, f, H_GUEST, 41001, H_GW, t.rport, 1, 0, H_TCP_SYN, 65535, "abcd", 4);
	f[34 + 12] = 4 << 4;
	h_send(h, f, len);
	len = h_build_tcp(h, f, H_GUEST, 41002, H_GW, t.rport, 1, 0, H_TCP_SYN, 65535, "abcd", 4);
	f[34 + 12] = 15 << 4;
	h_send(h, f, len);
	ck_assert_int_eq(h_tcp_recv(h, r, &s, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4_CSUM), 2);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4), 3);
	ck_assert_uint_eq(flow_count(&h->c), 1);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* -t HOSTPORT:GUESTPORT: a host client reaches the guest's port, from the gateway. */
START_TEST(test_tcp_port_map)
{
	uint16_t hp = h_free_tcp_port();
	char spec[32], buf[32];
	const char *args[] = { "-t", spec, NULL };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct htcp t;
	struct htcpseg s;
	int cl;

	snprintf(spec, sizeof(spec), "%u:8080", hp);
	h = h_setup(args);
	/* The guest makes its address known: any packet from it. */
	h_send(h, r->data, h_build_tcp(h, r->data, H_GUEST, 1, H_GW, 1, 0, 0, H_TCP_RST, 0,
					NULL, 0));
	h_run_for(h, 20);
	ck_assert_uint_eq(h_guest(h)->addr, H_GUEST);

	cl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	sa.sin_addr.s_addr = htonl(H_LOOPBACK);
	sa.sin_port = htons(hp);
	ck_assert(connect(cl, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
	ck_assert_int_eq(h_tcp_recv(h, r, &s, H_TIMEOUT_MS), 0);
	ck_assert(r->l4_csum_ok);
	ck_assert_uint_eq(r->src, H_GW);
	ck_assert_uint_eq(r->dst, H_GUEST);
	ck_assert_uint_eq(s.dport, 8080);
	ck_assert_uint_eq(s.flags, H_TCP_SYN);
	ck_assert_uint_ne(s.mss, 0);
	ck_assert_int_eq(s.ws, 7);
	ck_assert_uint_eq(h_stat(h, STAT_TCP_PORTMAP_ACCEPTED), 1);

	h_tcp_init(&t, h, 8080, H_GW, s.sport);
	t.rcv_nxt = s.seq + 1;
	h_tcp_send(&t, H_TCP_SYN | H_TCP_ACK, NULL, 0);
	tcp_test_expect_ack(&t);

	ck_assert_int_eq(send(cl, "from host", 9, 0), 9);
	ck_assert_uint_eq(h_tcp_read(&t, r, buf, 9, 1, H_TIMEOUT_MS), 9);
	ck_assert_mem_eq(buf, "from host", 9);
	h_tcp_send(&t, H_TCP_ACK | H_TCP_PSH, "from guest", 10);
	ck_assert_uint_eq(h_fd_read(h, cl, buf, 10, H_TIMEOUT_MS), 10);
	ck_assert_mem_eq(buf, "from guest", 10);
	close(cl);
	h_teardown(h);
}
END_TEST

/* tcp_test_wmem_max() - the most a host socket's send buffer grows to, bytes. */
static size_t tcp_test_wmem_max(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
	unsigned long lo, def, max = 4u << 20;

	if (f) {
		if (fscanf(f, "%lu %lu %lu", &lo, &def, &max) != 3)
			max = 4u << 20;
		fclose(f);
	}
	return max;
}

/*
 * Guest to host, bulk, with a host that does not read: slirpish acknowledges
 * only what the host socket took, the guest stalls; once the host reads,
 * the window reopens and every byte arrives once, in order.
 */
START_TEST(test_tcp_guest_bulk_flow_control)
{
	size_t total = tcp_test_wmem_max() + (2u << 20);
	uint8_t *src = malloc(total), *dst = malloc(total);
	struct htcp t;
	size_t acked, got, more = 0, i;
	int lfd, hs, rcvbuf = 65536;

	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(dst);
	for (i = 0; i < total; i++)
		src[i] = (uint8_t)(i % 251 + (i >> 16));
	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	ck_assert_int_eq(setsockopt(hs, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	acked = h_tcp_pump(&t, r, src, total, -1, NULL, NULL, 2500);
	ck_assert_uint_gt(acked, 0);
	ck_assert_msg(acked < total, "all %zu bytes acknowledged, the host read none", acked);
	/* Everything acknowledged is on its way to the host: nothing was lost. */
	got = h_fd_read(h, hs, dst, acked, 5000);
	ck_assert_uint_eq(got, acked);
	ck_assert_mem_eq(dst, src, acked);
	/* The rest, the host reading along: the window must reopen. */
	acked += h_tcp_pump(&t, r, src + acked, total - acked, hs, dst + got, &more, 20000);
	ck_assert_uint_eq(acked, total);
	got += more;
	got += h_fd_read(h, hs, dst + got, total - got, 5000);
	ck_assert_uint_eq(got, total);
	ck_assert(memcmp(dst, src, total) == 0);
	close(hs);
	h_teardown(h);
	close(lfd);
	free(src);
	free(dst);
}
END_TEST

/* The guest retransmits (whole and overlapping): the host gets each byte once. */
START_TEST(test_tcp_guest_retransmission_not_duplicated)
{
	struct htcp t;
	uint32_t base;
	int lfd, hs;
	char buf[16];

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	base = t.snd_nxt;
	h_tcp_send(&t, H_TCP_ACK, "abc", 3);
	h_tcp_send_at(&t, base, H_TCP_ACK, "abc", 3);
	h_tcp_send_at(&t, base, H_TCP_ACK, "abcdef", 6);
	t.snd_nxt = base + 6;
	ck_assert_uint_eq(h_fd_read(h, hs, buf, sizeof(buf), 300), 6);
	ck_assert_mem_eq(buf, "abcdef", 6);
	tcp_test_expect_ack(&t);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Our FIN, not acknowledged, is sent again after the RTO. */
START_TEST(test_tcp_fin_retransmitted)
{
	struct htcp t;
	struct htcpseg s;
	uint32_t fin_seq;
	int lfd, hs;

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	close(hs);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert(s.flags & H_TCP_FIN);
	fin_seq = s.seq;
	ck_assert_uint_eq(fin_seq, t.rcv_nxt);
	h_tcp_expect(&t, r, &s, 6000);
	ck_assert(s.flags & H_TCP_FIN);
	ck_assert_uint_eq(s.seq, fin_seq);
	t.rcv_nxt = fin_seq + 1;
	h_tcp_send(&t, H_TCP_ACK | H_TCP_FIN, NULL, 0);
	tcp_test_expect_ack(&t);
	h_run_for(h, 100);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Zero window: no data, a probe after the RTO; the window opens, the data comes. */
START_TEST(test_tcp_zero_window)
{
	struct htcp t;
	struct htcpseg s;
	int lfd, hs;
	char buf[128];

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 0);
	ck_assert_int_eq(send(hs, big_a, 100, 0), 100);
	h_tcp_expect(&t, r, &s, 6000);		/* the probe, not data */
	ck_assert_uint_eq(s.len, 0);
	ck_assert(s.flags & H_TCP_ACK);
	t.wnd = 65535;
	h_tcp_send(&t, H_TCP_ACK, NULL, 0);
	ck_assert_uint_eq(h_tcp_read(&t, r, buf, 100, 1, H_TIMEOUT_MS), 100);
	ck_assert_mem_eq(buf, big_a, 100);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* Port map, the guest refuses: the host client is reset, the flow goes. */
START_TEST(test_tcp_port_map_guest_refuses)
{
	uint16_t hp = h_free_tcp_port();
	char spec[32], buf[8];
	const char *args[] = { "-t", spec, NULL };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct htcp t;
	struct htcpseg s;
	int cl;

	snprintf(spec, sizeof(spec), "%u:8081", hp);
	h = h_setup(args);
	h_send(h, r->data, h_build_tcp(h, r->data, H_GUEST, 1, H_GW, 1, 0, 0, H_TCP_RST, 0,
					NULL, 0));
	cl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	sa.sin_addr.s_addr = htonl(H_LOOPBACK);
	sa.sin_port = htons(hp);
	ck_assert(connect(cl, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
	ck_assert_int_eq(h_tcp_recv(h, r, &s, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(s.flags, H_TCP_SYN);
	h_tcp_init(&t, h, 8081, H_GW, s.sport);
	t.rcv_nxt = s.seq + 1;
	h_tcp_send_at(&t, 0, H_TCP_RST | H_TCP_ACK, NULL, 0);
	ck_assert_int_eq(h_run_until_readable(h, cl, H_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv(cl, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	h_run_for(h, 50);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	close(cl);
	h_teardown(h);
}
END_TEST

/* --tcp-idle-timeout: an idle connection is reset on both sides. */
START_TEST(test_tcp_idle_timeout)
{
	static const char *const args[] = { "--tcp-idle-timeout", "1", NULL };
	uint16_t port;
	int lfd = h_tcp_listener(&port, 4), hs;
	struct htcp t;
	struct htcpseg s;
	char buf[8];

	h = h_setup(args);
	h_tcp_init(&t, h, 40010, H_GW, port);
	h_tcp_connect(&t, r);
	hs = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ck_assert_int_ge(hs, 0);
	ck_assert_int_eq(h_tcp_recv(h, r, &s, 500), -1);
	h_tcp_expect(&t, r, &s, 5000);
	ck_assert(s.flags & H_TCP_RST);
	ck_assert_int_eq(h_run_until_readable(h, hs, H_TIMEOUT_MS), 0);
	ck_assert_int_eq(recv(hs, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	h_run_for(h, 20);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* A full flow table: the connection that does not fit is reset and counted. */
START_TEST(test_tcp_flow_table_full)
{
	static const char *const args[] = { "--max-flows", "16", NULL };
	uint16_t port;
	int lfd = h_tcp_listener(&port, 64), i;
	struct htcp t;
	struct htcpseg s;

	h = h_setup(args);
	for (i = 0; i < 16; i++) {
		h_tcp_init(&t, h, (uint16_t)(42000 + i), H_GW, port);
		h_tcp_connect(&t, r);
	}
	ck_assert_uint_eq(flow_count(&h->c), 16);
	h_tcp_init(&t, h, 42016, H_GW, port);
	h_tcp_send(&t, H_TCP_SYN, NULL, 0);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert_uint_eq(s.flags, H_TCP_RST | H_TCP_ACK);
	ck_assert_uint_eq(h_stat(h, STAT_FLOW_TABLE_FULL), 1);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* The host peer resets: the guest gets a RST, the flow goes. */
START_TEST(test_tcp_host_rst)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	struct htcp t;
	struct htcpseg s;
	int lfd, hs;

	hs = tcp_test_connected(&t, &lfd, 1460, 0, 65535);
	ck_assert_int_eq(setsockopt(hs, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	close(hs);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert(s.flags & H_TCP_RST);
	h_run_for(h, 20);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* The guest's ACK of our SYN-ACK is lost: the SYN-ACK comes again, same sequence. */
START_TEST(test_tcp_synack_retransmitted)
{
	uint16_t port;
	int lfd = h_tcp_listener(&port, 4), hs;
	struct htcp t;
	struct htcpseg s;
	uint32_t isn;

	h = h_setup(NULL);
	h_tcp_init(&t, h, 40011, H_GW, port);
	h_tcp_send(&t, H_TCP_SYN, NULL, 0);
	h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
	ck_assert_uint_eq(s.flags, H_TCP_SYN | H_TCP_ACK);
	isn = s.seq;
	h_tcp_expect(&t, r, &s, 3000);
	ck_assert_uint_eq(s.flags, H_TCP_SYN | H_TCP_ACK);
	ck_assert_uint_eq(s.seq, isn);
	ck_assert_uint_eq(s.ack, t.snd_nxt);
	t.rcv_nxt = isn + 1;
	h_tcp_send(&t, H_TCP_ACK | H_TCP_PSH, "late", 4);
	hs = h_tcp_accept(h, lfd, H_TIMEOUT_MS);
	ck_assert_int_ge(hs, 0);
	ck_assert_uint_eq(h_fd_read(h, hs, big_b, 4, H_TIMEOUT_MS), 4);
	ck_assert_mem_eq(big_b, "late", 4);
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/* No MSS option from the guest: segments of at most 536 bytes (RFC 9293). */
START_TEST(test_tcp_default_mss)
{
	struct htcp t;
	struct htcpseg s;
	size_t got = 0;
	int lfd, hs;

	hs = tcp_test_connected(&t, &lfd, 0, 0, 65535);
	ck_assert_int_eq(send(hs, big_a, 2000, 0), 2000);
	while (got < 2000) {
		h_tcp_expect(&t, r, &s, H_TIMEOUT_MS);
		ck_assert_uint_le(s.len, 536);
		ck_assert_uint_eq(s.seq, t.rcv_nxt);
		ck_assert_mem_eq(s.data, big_a + got, s.len);
		got += s.len;
		t.rcv_nxt += (uint32_t)s.len;
		h_tcp_send(&t, H_TCP_ACK, NULL, 0);
	}
	close(hs);
	h_teardown(h);
	close(lfd);
}
END_TEST

/*
 * Segments of several connections interleaved in one burst (one read of the
 * link, so the guest-to-host batch switches connection at every segment):
 * each host socket gets exactly its bytes, each connection its ACKs.
 */
START_TEST(test_tcp_interleaved_connections)
{
	enum { N = 4, SEGS = 20, SEG = 700 };
	struct htcp t[N];
	struct htcpseg s;
	uint16_t port;
	int lfd = h_tcp_listener(&port, 16), hs[N], i, k;
	uint32_t acked[N];

	h = h_setup(NULL);
	for (i = 0; i < N; i++) {
		h_tcp_init(&t[i], h, (uint16_t)(43000 + i), H_GW, port);
		h_tcp_connect(&t[i], r);
		hs[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		ck_assert_int_ge(hs[i], 0);
		acked[i] = t[i].snd_nxt;
	}
	/* accept() order follows the handshakes: hs[i] belongs to t[i]. */
	for (k = 0; k < SEGS; k++)
		for (i = 0; i < N; i++)
			h_tcp_send(&t[i], H_TCP_ACK, big_a + (size_t)(i * SEGS + k) * SEG, SEG);
	h_tcp_send(&t[1], H_TCP_ACK | H_TCP_FIN, NULL, 0);	/* and one FIN among them */
	for (i = 0; i < N; i++) {
		ck_assert_uint_eq(h_fd_read(h, hs[i], big_b, SEGS * SEG + 1, H_TIMEOUT_MS),
				  SEGS * SEG);
		ck_assert_mem_eq(big_b, big_a + (size_t)i * SEGS * SEG, SEGS * SEG);
	}
	/* Every connection has its data acknowledged (and t[1] its FIN). */
	while (acked[0] != t[0].snd_nxt || acked[1] != t[1].snd_nxt ||
	       acked[2] != t[2].snd_nxt || acked[3] != t[3].snd_nxt) {
		ck_assert_int_eq(h_tcp_recv(h, r, &s, H_TIMEOUT_MS), 0);
		ck_assert(r->l4_csum_ok);
		i = s.dport - 43000;
		ck_assert_int_ge(i, 0);
		ck_assert_int_lt(i, N);
		ck_assert(s.flags & H_TCP_ACK);
		ck_assert_uint_le(s.ack - acked[i], t[i].snd_nxt - acked[i]);
		acked[i] = s.ack;
	}
	for (i = 0; i < N; i++)
		close(hs[i]);
	h_teardown(h);
	close(lfd);
}
END_TEST

Suite *tcp_suite(void);
Suite *tcp_suite(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tcp_test_setup, tcp_test_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tcp_connect_and_data);
	tcase_add_test(tc, test_tcp_synack_waits_for_host);
	tcase_add_test(tc, test_tcp_refused);
	tcase_add_test(tc, test_tcp_unknown_connection);
	tcase_add_test(tc, test_tcp_retransmit_timeout);
	tcase_add_test(tc, test_tcp_fast_retransmit);
	tcase_add_test(tc, test_tcp_half_close_guest_first);
	tcase_add_test(tc, test_tcp_half_close_host_first);
	tcase_add_test(tc, test_tcp_guest_rst);
	tcase_add_test(tc, test_tcp_small_window);
	tcase_add_test(tc, test_tcp_out_of_order);
	tcase_add_test(tc, test_tcp_bad_segments);
	tcase_add_test(tc, test_tcp_port_map);
	tcase_add_test(tc, test_tcp_guest_bulk_flow_control);
	tcase_add_test(tc, test_tcp_guest_retransmission_not_duplicated);
	tcase_add_test(tc, test_tcp_fin_retransmitted);
	tcase_add_test(tc, test_tcp_zero_window);
	tcase_add_test(tc, test_tcp_port_map_guest_refuses);
	tcase_add_test(tc, test_tcp_idle_timeout);
	tcase_add_test(tc, test_tcp_flow_table_full);
	tcase_add_test(tc, test_tcp_host_rst);
	tcase_add_test(tc, test_tcp_synack_retransmitted);
	tcase_add_test(tc, test_tcp_default_mss);
	tcase_add_test(tc, test_tcp_interleaved_connections);
	tcase_add_test(tc, test_tcp_connect_fails_at_once);
	suite_add_tcase(s, tc);
	return s;
}
