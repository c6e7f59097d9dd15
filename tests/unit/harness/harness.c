// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* harness.c - a real slirpish daemon in the test process, a guest link to it, frame builders. */

/*
 * Theory of operation
 *
 * h_setup() builds the daemon exactly as main.c does (conf_parse() defaults,
 * daemon_init() on a private libev loop) and adds one stream guest over a
 * socketpair; the test holds the other end and plays the guest.  Frames
 * from slirpish are collected by a watcher on that end, in the same loop,
 * so "run the loop until a frame comes back" is ev_run(EVRUN_ONCE) against
 * a deadline timer.  h_teardown() closes the test's end, lets the daemon
 * notice the hang-up and sweep, and asserts that no flow and no file
 * descriptor is left.
 *
 * Every checksum the test side needs is computed here, by a deliberately
 * naive implementation that shares nothing with slirpish/csum.c.
 */

#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "slirpish/daemon.h"
#include "slirpish/flow.h"
#include "slirpish/log.h"
#include "slirpish/util.h"
#include "tests/unit/harness/harness.h"

#define H_RX_SIZE (4u << 20)
#define H_ARGS_MAX 32

/* h_put16() / h_put32() / h_get16() / h_get32() - big-endian, test side. */
static void h_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void h_put32(uint8_t *p, uint32_t v)
{
	h_put16(p, (uint16_t)(v >> 16));
	h_put16(p + 2, (uint16_t)v);
}
static uint16_t h_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t h_get32(const uint8_t *p) { return (uint32_t)h_get16(p) << 16 | h_get16(p + 2); }

/**
 * h_csum() - Internet checksum, one 16-bit word at a time
 * @buf:	bytes
 * @len:	length (odd: last byte padded with zero)
 * @sum:	initial sum (pseudo header), unfolded
 *
 * Return: the folded, complemented checksum.
 */
uint16_t h_csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint64_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint64_t)p[len - 1] << 8;
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)(~s & 0xffff);
}

/**
 * h_l4_csum() - TCP/UDP checksum with the IPv4 pseudo header
 * @src:	source address, host order
 * @dst:	destination address
 * @proto:	protocol
 * @l4:		segment
 * @len:	its length
 *
 * Return: checksum (0 when verifying a correct segment).
 */
uint16_t h_l4_csum(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, size_t len)
{
	uint8_t ph[12];

	h_put32(ph, src);
	h_put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	h_put16(ph + 10, (uint16_t)len);
	/* ~h_csum(ph) is the pseudo header's folded sum: chain it. */
	return h_csum(l4, len, (uint16_t)~h_csum(ph, sizeof(ph), 0));
}

/**
 * h_count_fds() - number of open file descriptors of the process
 *
 * Return: count.
 */
int h_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

/* h_rx_cb() - slirpish wrote to the guest link: collect the bytes. */
static void h_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct harness *h = container_of(w, struct harness, rx_w);

	for (;;) {
		ssize_t n;

		ck_assert_msg(h->rx_len < H_RX_SIZE, "harness receive buffer full");
		n = read(h->fd, h->rx + h->rx_len, H_RX_SIZE - h->rx_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		h->rx_len += (size_t)n;
	}
}

/* h_deadline_cb() - the current wait is over. */
static void h_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct harness *h = container_of(w, struct harness, deadline_w);

	h->timed_out = 1;
}

/*
 * h_expired() - is the current wait over?  The wall clock is checked too:
 * once the daemon has no guest left, its prepare watcher breaks every
 * iteration before timers run, so the deadline timer alone would never fire.
 */
static int h_expired(struct harness *h)
{
	if (!h->timed_out && ev_time() >= h->deadline)
		h->timed_out = 1;
	return h->timed_out;
}

/* h_arm() - start the deadline of a wait. */
static void h_arm(struct harness *h, unsigned ms)
{
	h->timed_out = 0;
	h->deadline = ev_time() + ms / 1000.0;
	ev_timer_stop(h->loop, &h->deadline_w);
	ev_now_update(h->loop);
	ev_timer_set(&h->deadline_w, ms / 1000.0, 0.);
	ev_timer_start(h->loop, &h->deadline_w);
}

/**
 * h_setup() - build a daemon with one stream guest
 * @extra_args:	further command-line options (NULL-terminated), or NULL
 *
 * The configuration is what conf_parse() gives for "--dns-forward 127.0.0.1"
 * plus @extra_args; the guest link is added with guest_add().
 *
 * Return: the harness (asserts on any failure).
 */
struct harness *h_setup(const char *const *extra_args)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct harness *h = calloc(1, sizeof(*h));
	char *argv[H_ARGS_MAX];
	const char *errmsg = "?";
	struct guest *g;
	int argc = 0, sv[2];

	ck_assert_ptr_nonnull(h);
	h->fds_at_start = h_count_fds();
	log_set_level(getenv("SLIRPISH_TEST_DEBUG") ? LOG_DEBUG : LOG_ERR);
	argv[argc++] = (char *)(uintptr_t)"slirpish";
	/* A link option is mandatory; the fd is replaced by guest_add() below. */
	argv[argc++] = (char *)(uintptr_t)"--fd";
	argv[argc++] = (char *)(uintptr_t)"1000";
	argv[argc++] = (char *)(uintptr_t)"--dns-forward";
	argv[argc++] = (char *)(uintptr_t)"127.0.0.1";
	while (extra_args && *extra_args) {
		ck_assert_int_lt(argc, H_ARGS_MAX - 1);
		argv[argc++] = (char *)(uintptr_t)*extra_args++;
	}
	argv[argc] = NULL;
	ck_assert_msg(conf_parse(&h->conf, argc, argv, &errmsg) == 0, "conf_parse: %s", errmsg);
	h->conf.fd = -1;

	h->rx = malloc(H_RX_SIZE);
	ck_assert_ptr_nonnull(h->rx);
	h->loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(h->loop);
	ck_assert_int_eq(daemon_init(&h->c, &h->conf, h->loop), 0);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	g = guest_add(&h->c, sv[0], GUEST_STREAM);
	ck_assert_ptr_nonnull(g);
	h->gid = g->id;
	h->fd = sv[1];
	ck_assert_int_eq(fcntl(h->fd, F_SETFL, O_NONBLOCK), 0);
	memcpy(h->mac, mac, sizeof(mac));
	ev_io_init(&h->rx_w, h_rx_cb, h->fd, EV_READ);
	ev_io_start(h->loop, &h->rx_w);
	ev_init(&h->deadline_w, h_deadline_cb);
	return h;
}

/**
 * h_guest() - the daemon's view of the test guest
 * @h:		harness
 *
 * Return: the guest (asserted present).
 */
struct guest *h_guest(struct harness *h)
{
	ck_assert_ptr_nonnull(h->c.guests[h->gid]);
	return h->c.guests[h->gid];
}

/**
 * h_stat() - one of the daemon's counters
 * @h:		harness
 * @id:		counter
 *
 * Return: its value.
 */
uint64_t h_stat(const struct harness *h, enum stat_id id)
{
	return h->c.stats.v[id];
}

/**
 * h_teardown() - hang up, let the daemon clean up, check nothing leaked
 * @h:		harness (freed)
 */
void h_teardown(struct harness *h)
{
	ev_io_stop(h->loop, &h->rx_w);
	close(h->fd);
	h_arm(h, H_TIMEOUT_MS);
	while (!h_expired(h) && (h->c.guests[h->gid] || flow_count(&h->c)))
		ev_run(h->loop, EVRUN_ONCE);
	ev_timer_stop(h->loop, &h->deadline_w);
	ck_assert_msg(!h->c.guests[h->gid], "the guest was not closed after hang-up");
	ck_assert_msg(flow_count(&h->c) == 0, "%u flows left after the guest closed",
		      flow_count(&h->c));
	daemon_fini(&h->c);
	ev_loop_destroy(h->loop);
	free(h->rx);
	ck_assert_int_eq(h_count_fds(), h->fds_at_start);
	free(h);
}

/**
 * h_send_raw() - write bytes on the link as they are (no length prefix)
 * @h:		harness
 * @bytes:	data
 * @len:	length
 */
void h_send_raw(struct harness *h, const void *bytes, size_t len)
{
	const uint8_t *p = bytes;

	while (len) {
		ssize_t n = send(h->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			ev_run(h->loop, EVRUN_NOWAIT);
			continue;
		}
		ck_assert_msg(n > 0, "write to the guest link: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/**
 * h_send() - send one frame to slirpish (4-byte big-endian length, then the frame)
 * @h:		harness
 * @frame:	frame
 * @len:	length
 */
void h_send(struct harness *h, const void *frame, size_t len)
{
	uint8_t pre[4];

	h_put32(pre, (uint32_t)len);
	h_send_raw(h, pre, sizeof(pre));
	h_send_raw(h, frame, len);
}

/**
 * h_parse() - fill the parsed fields of a received frame
 * @f:		frame (data, len set)
 */
void h_parse(struct hframe *f)
{
	const uint8_t *ip = f->data + 14;
	size_t ihl, tot;

	f->is_ip = 0;
	f->l4 = NULL;
	f->l4_len = 0;
	f->l4_csum_ok = 0;
	f->payload = NULL;
	f->payload_len = 0;
	f->sport = f->dport = 0;
	if (f->len < 14)
		return;
	f->eth_type = h_get16(f->data + 12);
	if (f->eth_type != 0x0800 || f->len < 14 + 20)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = h_get16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || 14 + tot > f->len ||
	    h_csum(ip, ihl, 0) != 0)
		return;
	f->is_ip = 1;
	f->proto = ip[9];
	f->src = h_get32(ip + 12);
	f->dst = h_get32(ip + 16);
	f->l4 = ip + ihl;
	f->l4_len = tot - ihl;
	if (f->proto == 1)
		f->l4_csum_ok = f->l4_len >= 8 && h_csum(f->l4, f->l4_len, 0) == 0;
	else if (f->proto == 6 || f->proto == 17)
		f->l4_csum_ok = h_l4_csum(f->src, f->dst, f->proto, f->l4, f->l4_len) == 0;
	if ((f->proto == 6 || f->proto == 17) && f->l4_len >= 8) {
		f->sport = h_get16(f->l4);
		f->dport = h_get16(f->l4 + 2);
	}
	if (f->proto == 17 && f->l4_len >= 8) {
		size_t ulen = h_get16(f->l4 + 4);

		if (ulen >= 8 && ulen <= f->l4_len) {
			f->payload = f->l4 + 8;
			f->payload_len = ulen - 8;
		}
	}
}

/* h_take() - move one complete frame out of the receive buffer; 1 if one was there. */
static int h_take(struct harness *h, struct hframe *f)
{
	uint32_t flen;

	if (h->rx_len < 4)
		return 0;
	flen = h_get32(h->rx);
	ck_assert_msg(flen <= H_FRAME_MAX, "slirpish sent a frame of %u bytes", flen);
	if (h->rx_len - 4 < flen)
		return 0;
	memcpy(f->data, h->rx + 4, flen);
	f->len = flen;
	h->rx_len -= 4 + flen;
	memmove(h->rx, h->rx + 4 + flen, h->rx_len);
	h_parse(f);
	return 1;
}

/**
 * h_recv() - run the loop until slirpish sends a frame to the guest
 * @h:		harness
 * @f:		the frame, parsed
 * @timeout_ms:	how long to wait
 *
 * Return: 0 with a frame, -1 on timeout.
 */
int h_recv(struct harness *h, struct hframe *f, unsigned timeout_ms)
{
	int got = 0;

	if (h_take(h, f))
		return 0;
	h_arm(h, timeout_ms);
	while (!h_expired(h) && !(got = h_take(h, f)))
		ev_run(h->loop, EVRUN_ONCE);
	ev_timer_stop(h->loop, &h->deadline_w);
	return got ? 0 : -1;
}

/**
 * h_run_for() - run the loop for a while (frames received are kept)
 * @h:		harness
 * @ms:		milliseconds
 */
void h_run_for(struct harness *h, unsigned ms)
{
	h_arm(h, ms);
	while (!h_expired(h))
		ev_run(h->loop, EVRUN_ONCE);
	/* One more iteration: the prepare watcher flushes and sweeps. */
	ev_run(h->loop, EVRUN_NOWAIT);
}

/* h_fd_cb() - a host-side fd of the test became readable. */
static void h_fd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	*(int *)w->data = 1;
}

/**
 * h_run_until_readable() - run the loop until a host-side fd of the test is readable
 * @h:		harness
 * @fd:		file descriptor (e.g. a UDP server socket)
 * @timeout_ms:	how long to wait
 *
 * Return: 0 when readable, -1 on timeout.
 */
int h_run_until_readable(struct harness *h, int fd, unsigned timeout_ms)
{
	ev_io w;
	int ready = 0;

	ev_io_init(&w, h_fd_cb, fd, EV_READ);
	w.data = &ready;
	ev_io_start(h->loop, &w);
	h_arm(h, timeout_ms);
	while (!h_expired(h) && !ready)
		ev_run(h->loop, EVRUN_ONCE);
	ev_timer_stop(h->loop, &h->deadline_w);
	ev_io_stop(h->loop, &w);
	return ready ? 0 : -1;
}

/**
 * h_build_ip4() - Ethernet + IPv4 header (checksum by the test side) + @l4
 * @h:		harness (guest MAC)
 * @buf:	output, at least 34 + @l4_len bytes
 * @proto:	protocol
 * @src:	source, host order
 * @dst:	destination
 * @l4:		layer-4 bytes, copied
 * @l4_len:	their length
 *
 * Return: frame length.
 */
size_t h_build_ip4(const struct harness *h, uint8_t *buf, uint8_t proto, uint32_t src,
		   uint32_t dst, const void *l4, size_t l4_len)
{
	uint8_t *ip = buf + 14;

	memcpy(buf, h->conf.gw_mac, 6);
	memcpy(buf + 6, h->mac, 6);
	h_put16(buf + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	h_put16(ip + 2, (uint16_t)(20 + l4_len));
	h_put16(ip + 4, 0x1234);
	h_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	h_put32(ip + 12, src);
	h_put32(ip + 16, dst);
	h_put16(ip + 10, h_csum(ip, 20, 0));
	memmove(ip + 20, l4, l4_len);
	return 14 + 20 + l4_len;
}

/**
 * h_build_udp() - a whole UDP frame with a correct checksum
 * @h:		harness
 * @buf:	output
 * @src:	source address
 * @sport:	source port
 * @dst:	destination address
 * @dport:	destination port
 * @payload:	payload
 * @len:	its length
 *
 * Return: frame length.
 */
size_t h_build_udp(const struct harness *h, uint8_t *buf, uint32_t src, uint16_t sport,
		   uint32_t dst, uint16_t dport, const void *payload, size_t len)
{
	uint8_t *u = buf + 34;
	uint16_t sum;

	memmove(u + 8, payload, len);
	h_put16(u, sport);
	h_put16(u + 2, dport);
	h_put16(u + 4, (uint16_t)(8 + len));
	h_put16(u + 6, 0);
	sum = h_l4_csum(src, dst, 17, u, 8 + len);
	h_put16(u + 6, sum ? sum : 0xffff);
	return h_build_ip4(h, buf, 17, src, dst, u, 8 + len);
}

/**
 * h_build_icmp_echo() - a whole ICMP echo request frame
 * @h:		harness
 * @buf:	output
 * @src:	source
 * @dst:	destination
 * @id:		echo identifier
 * @seq:	sequence number
 * @payload:	data
 * @len:	its length
 *
 * Return: frame length.
 */
size_t h_build_icmp_echo(const struct harness *h, uint8_t *buf, uint32_t src, uint32_t dst,
			 uint16_t id, uint16_t seq, const void *payload, size_t len)
{
	uint8_t *m = buf + 34;

	memmove(m + 8, payload, len);
	m[0] = 8;
	m[1] = 0;
	h_put16(m + 2, 0);
	h_put16(m + 4, id);
	h_put16(m + 6, seq);
	h_put16(m + 2, h_csum(m, 8 + len, 0));
	return h_build_ip4(h, buf, 1, src, dst, m, 8 + len);
}

/**
 * h_build_tcp() - a whole TCP frame (20-byte header, no options)
 * @h:		harness
 * @buf:	output
 * @src:	source address
 * @sport:	source port
 * @dst:	destination address
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @flags:	TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16)
 * @win:	window
 * @payload:	data
 * @len:	its length
 *
 * Return: frame length.
 */
size_t h_build_tcp(const struct harness *h, uint8_t *buf, uint32_t src, uint16_t sport,
		   uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		   uint16_t win, const void *payload, size_t len)
{
	uint8_t *t = buf + 34;

	memmove(t + 20, payload, len);
	memset(t, 0, 20);
	h_put16(t, sport);
	h_put16(t + 2, dport);
	h_put32(t + 4, seq);
	h_put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	h_put16(t + 14, win);
	h_put16(t + 16, h_l4_csum(src, dst, 6, t, 20 + len));
	return h_build_ip4(h, buf, 6, src, dst, t, 20 + len);
}

/**
 * h_build_arp_request() - a broadcast ARP request "who has @tip? tell @sip"
 * @h:		harness
 * @buf:	output, at least 42 bytes
 * @sip:	sender address
 * @tip:	target address
 *
 * Return: frame length.
 */
size_t h_build_arp_request(const struct harness *h, uint8_t *buf, uint32_t sip, uint32_t tip)
{
	uint8_t *a = buf + 14;

	memset(buf, 0xff, 6);
	memcpy(buf + 6, h->mac, 6);
	h_put16(buf + 12, 0x0806);
	h_put16(a, 1);
	h_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	h_put16(a + 6, 1);
	memcpy(a + 8, h->mac, 6);
	h_put32(a + 14, sip);
	memset(a + 18, 0, 6);
	h_put32(a + 24, tip);
	return 14 + 28;
}

/**
 * h_send_udp() - send a UDP datagram from the guest's address
 * @h:		harness
 * @dst:	destination address
 * @sport:	source port
 * @dport:	destination port
 * @payload:	data
 * @len:	its length (at most 1400)
 */
void h_send_udp(struct harness *h, uint32_t dst, uint16_t sport, uint16_t dport,
		const void *payload, size_t len)
{
	uint8_t buf[1500];

	ck_assert_uint_le(len, 1400);
	h_send(h, buf, h_build_udp(h, buf, H_GUEST, sport, dst, dport, payload, len));
}

/**
 * h_udp_server() - a UDP socket bound to 127.0.0.1 on an ephemeral port
 * @port:	set to the port, host order
 *
 * Return: the socket (asserts on failure).
 */
int h_udp_server(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(H_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/**
 * h_build_tcp_opt() - a whole TCP frame with optional MSS and window-scale options
 * @h:		harness
 * @buf:	output
 * @src:	source address
 * @sport:	source port
 * @dst:	destination address
 * @dport:	destination port
 * @seq:	sequence number
 * @ack:	acknowledgment number
 * @flags:	TCP flags byte
 * @win:	window field
 * @mss:	MSS option value, 0 for none
 * @ws:		window-scale option value, -1 for none
 * @payload:	data
 * @len:	its length
 *
 * Return: frame length.
 */
size_t h_build_tcp_opt(const struct harness *h, uint8_t *buf, uint32_t src, uint16_t sport,
		       uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		       uint16_t win, uint16_t mss, int ws, const void *payload, size_t len)
{
	uint8_t *t = buf + 34;
	size_t hlen = 20;
	uint8_t opt[8];
	size_t olen = 0;

	if (mss) {
		opt[olen++] = 2;
		opt[olen++] = 4;
		h_put16(opt + olen, mss);
		olen += 2;
	}
	if (ws >= 0) {
		opt[olen++] = 1;
		opt[olen++] = 3;
		opt[olen++] = 3;
		opt[olen++] = (uint8_t)ws;
	}
	hlen += olen;
	memmove(t + hlen, payload, len);
	memset(t, 0, 20);
	memcpy(t + 20, opt, olen);
	h_put16(t, sport);
	h_put16(t + 2, dport);
	h_put32(t + 4, seq);
	h_put32(t + 8, ack);
	t[12] = (uint8_t)(hlen / 4) << 4;
	t[13] = flags;
	h_put16(t + 14, win);
	h_put16(t + 16, h_l4_csum(src, dst, 6, t, hlen + len));
	return h_build_ip4(h, buf, 6, src, dst, t, hlen + len);
}

/**
 * h_tcp_parse() - parse the TCP segment of a received frame (test side)
 * @f:		frame, parsed by h_parse()
 * @s:		result
 *
 * Return: 0, -1 when @f is not a well-formed TCP segment.
 */
int h_tcp_parse(const struct hframe *f, struct htcpseg *s)
{
	const uint8_t *t = f->l4;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->ws = -1;
	if (!f->is_ip || f->proto != 6 || f->l4_len < 20)
		return -1;
	s->hlen = (size_t)(t[12] >> 4) * 4;
	if (s->hlen < 20 || s->hlen > f->l4_len)
		return -1;
	s->sport = h_get16(t);
	s->dport = h_get16(t + 2);
	s->seq = h_get32(t + 4);
	s->ack = h_get32(t + 8);
	s->flags = t[13];
	s->wnd = h_get16(t + 14);
	s->data = t + s->hlen;
	s->len = f->l4_len - s->hlen;
	for (i = 20; i < s->hlen;) {
		if (t[i] == 0)
			break;
		if (t[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= s->hlen || t[i + 1] < 2 || i + t[i + 1] > s->hlen)
			return -1;
		if (t[i] == 2 && t[i + 1] == 4)
			s->mss = h_get16(t + i + 2);
		if (t[i] == 3 && t[i + 1] == 3)
			s->ws = t[i + 2];
		i += t[i + 1];
	}
	return 0;
}

/**
 * h_tcp_recv() - run the loop until slirpish sends a TCP segment (other frames are skipped)
 * @h:		harness
 * @f:		the frame
 * @s:		its segment, parsed
 * @timeout_ms:	how long to wait
 *
 * Return: 0 with a segment, -1 on timeout.
 */
int h_tcp_recv(struct harness *h, struct hframe *f, struct htcpseg *s, unsigned timeout_ms)
{
	double end = ev_time() + timeout_ms / 1000.0;

	for (;;) {
		double left = end - ev_time();

		if (left < 0 || h_recv(h, f, (unsigned)(left * 1000) + 1) < 0)
			return -1;
		if (h_tcp_parse(f, s) == 0)
			return 0;
	}
}

/**
 * h_tcp_init() - a guest TCP endpoint at the guest's address
 * @t:		endpoint
 * @h:		harness
 * @gport:	guest port
 * @raddr:	remote address
 * @rport:	remote port
 *
 * The guest offers MSS 1460 and window scale 0 with a 65535-byte window.
 */
void h_tcp_init(struct htcp *t, struct harness *h, uint16_t gport, uint32_t raddr,
		uint16_t rport)
{
	memset(t, 0, sizeof(*t));
	t->h = h;
	t->gaddr = H_GUEST;
	t->gport = gport;
	t->raddr = raddr;
	t->rport = rport;
	t->snd_nxt = 0x10000000u + gport;
	t->wnd = 65535;
	t->ws = 0;
	t->mss = 1460;
	t->peer_ws = -1;
}

/**
 * h_tcp_send_at() - send a segment at @seq (the endpoint's snd_nxt is not moved)
 * @t:		endpoint
 * @seq:	sequence number
 * @flags:	flags (the ACK field is @t->rcv_nxt; a SYN carries @t's options)
 * @data:	payload
 * @len:	its length (at most 1400)
 */
void h_tcp_send_at(struct htcp *t, uint32_t seq, uint8_t flags, const void *data, size_t len)
{
	uint8_t buf[1500];
	int syn = !!(flags & H_TCP_SYN);

	ck_assert_uint_le(len, 1400);
	if ((flags & H_TCP_ACK) && !(flags & H_TCP_RST) && (t->rcv_nxt || t->irs)) {
		/* The window field of a SYN is never scaled. */
		int scaled = !syn && t->ws >= 0 && t->peer_ws >= 0;
		uint32_t edge = t->rcv_nxt + ((uint32_t)t->wnd << (scaled ? t->ws : 0));

		if (!t->wnd_edge_set || (int32_t)(edge - t->wnd_edge) > 0)
			t->wnd_edge = edge;
		t->wnd_edge_set = 1;
	}
	h_send(t->h, buf, h_build_tcp_opt(t->h, buf, t->gaddr, t->gport, t->raddr, t->rport, seq,
					  flags & H_TCP_ACK ? t->rcv_nxt : 0, flags, t->wnd,
					  syn ? t->mss : 0, syn ? t->ws : -1, data, len));
}

/**
 * h_tcp_send() - send a segment at the endpoint's snd_nxt and advance it
 * @t:		endpoint
 * @flags:	flags
 * @data:	payload
 * @len:	its length
 */
void h_tcp_send(struct htcp *t, uint8_t flags, const void *data, size_t len)
{
	h_tcp_send_at(t, t->snd_nxt, flags, data, len);
	t->snd_nxt += (uint32_t)len + !!(flags & H_TCP_SYN) + !!(flags & H_TCP_FIN);
}

/**
 * h_tcp_expect() - the next TCP segment, asserted to belong to @t's connection
 * @t:		endpoint
 * @f:		frame buffer
 * @s:		the segment
 * @timeout_ms:	how long to wait
 *
 * Asserts the addresses, ports and the TCP checksum.
 */
void h_tcp_expect(struct htcp *t, struct hframe *f, struct htcpseg *s, unsigned timeout_ms)
{
	ck_assert_msg(h_tcp_recv(t->h, f, s, timeout_ms) == 0, "no TCP segment within %u ms",
		      timeout_ms);
	ck_assert_msg(f->l4_csum_ok, "bad TCP checksum from slirpish");
	ck_assert_uint_eq(f->src, t->raddr);
	ck_assert_uint_eq(f->dst, t->gaddr);
	ck_assert_uint_eq(s->sport, t->rport);
	ck_assert_uint_eq(s->dport, t->gport);
}

/**
 * h_tcp_connect() - three-way handshake from the guest side
 * @t:		endpoint
 * @f:		frame buffer
 *
 * Sends the SYN, expects the SYN-ACK (recording slirpish's sequence number
 * and options) and acknowledges it.
 */
void h_tcp_connect(struct htcp *t, struct hframe *f)
{
	struct htcpseg s;

	h_tcp_send(t, H_TCP_SYN, NULL, 0);
	h_tcp_expect(t, f, &s, H_TIMEOUT_MS);
	ck_assert_uint_eq(s.flags, H_TCP_SYN | H_TCP_ACK);
	ck_assert_uint_eq(s.ack, t->snd_nxt);
	t->irs = s.seq;
	t->rcv_nxt = s.seq + 1;
	t->peer_mss = s.mss;
	t->peer_ws = s.ws;
	t->peer_wnd = s.wnd;
	h_tcp_send(t, H_TCP_ACK, NULL, 0);
}

/**
 * h_tcp_read() - collect in-order payload sent to the endpoint
 * @t:		endpoint
 * @f:		frame buffer
 * @buf:	output
 * @want:	bytes wanted
 * @ack:	acknowledge each segment
 * @timeout_ms:	how long to wait in all
 *
 * Every segment must carry the expected sequence number or be a
 * retransmission of bytes already taken (counted in @t->retransmits_seen,
 * skipped), lie within the window the guest advertised, and carry a valid
 * checksum and an ACK of everything the guest sent.  A FIN ends the read and sets @t->fin_seen.
 *
 * Return: bytes collected.
 */
size_t h_tcp_read(struct htcp *t, struct hframe *f, void *buf, size_t want, int ack,
		  unsigned timeout_ms)
{
	double end = ev_time() + timeout_ms / 1000.0;
	uint8_t *out = buf;
	struct htcpseg s;
	size_t got = 0;

	while (got < want && !t->fin_seen) {
		double left = end - ev_time();

		if (left < 0 || h_tcp_recv(t->h, f, &s, (unsigned)(left * 1000) + 1) < 0)
			break;
		ck_assert_msg(f->l4_csum_ok, "bad TCP checksum from slirpish");
		ck_assert_uint_eq(s.dport, t->gport);
		ck_assert(s.flags & H_TCP_ACK);
		ck_assert_uint_eq(s.ack, t->snd_nxt);
		if (!s.len && !(s.flags & H_TCP_FIN))
			continue;	/* a pure ACK or window update */
		if ((int32_t)(s.seq - t->rcv_nxt) < 0) {
			/* A retransmission (the RTO can beat a slow test): keep
			 * only what is new, acknowledge again. */
			uint32_t old = t->rcv_nxt - s.seq;

			t->retransmits_seen++;
			if (old >= s.len + !!(s.flags & H_TCP_FIN)) {
				if (ack)
					h_tcp_send(t, H_TCP_ACK, NULL, 0);
				continue;
			}
			s.data += old;
			s.len -= old;
			s.seq = t->rcv_nxt;
		}
		ck_assert_msg(s.seq == t->rcv_nxt, "segment at %u, expected %u", s.seq, t->rcv_nxt);
		if (t->wnd_edge_set)
			ck_assert_msg((int32_t)(s.seq + (uint32_t)s.len - t->wnd_edge) <= 0,
				      "segment %u+%zu beyond the guest's window (edge %u)", s.seq,
				      s.len, t->wnd_edge);
		ck_assert_uint_le(got + s.len, want);
		memcpy(out + got, s.data, s.len);
		got += s.len;
		t->rcv_nxt += (uint32_t)s.len;
		if (s.flags & H_TCP_FIN) {
			t->rcv_nxt++;
			t->fin_seen = 1;
		}
		if (ack)
			h_tcp_send(t, H_TCP_ACK, NULL, 0);
	}
	return got;
}

/**
 * h_tcp_pump() - the guest sends a byte stream as a TCP sender would
 * @t:		endpoint (its snd_nxt moves past what slirpish acknowledged)
 * @f:		frame buffer
 * @src:	bytes to send
 * @len:	their number
 * @hfd:	host socket to drain meanwhile, or -1 to leave it alone
 * @dst:	where the drained bytes go (at least @len bytes), or NULL
 * @dst_len:	bytes drained so far (in and out), or NULL
 * @timeout_ms:	how long to try in all
 *
 * Segments of at most 1400 bytes, within the window slirpish advertises
 * (scaled by its window-scale option when the guest offered one too).
 * Without progress for 300 ms the guest goes back to the oldest
 * unacknowledged byte (go-back-N); it never probes a zero window, so a
 * stall at zero shows that slirpish did not reopen it.  Asserts that
 * slirpish acknowledges nothing that was not sent.
 *
 * Return: bytes acknowledged.
 */
size_t h_tcp_pump(struct htcp *t, struct hframe *f, const uint8_t *src, size_t len, int hfd,
		  uint8_t *dst, size_t *dst_len, unsigned timeout_ms)
{
	double end = ev_time() + timeout_ms / 1000.0, progress = ev_time();
	unsigned scale = t->ws >= 0 && t->peer_ws >= 0 ? (unsigned)t->peer_ws : 0;
	uint32_t base = t->snd_nxt;
	size_t una = 0, nxt = 0;
	struct htcpseg s;

	while (una < len && ev_time() < end) {
		while (nxt < len && nxt - una < t->peer_wnd) {
			size_t seg = len - nxt;

			seg = seg < 1400 ? seg : 1400;
			if (seg > t->peer_wnd - (nxt - una))
				seg = t->peer_wnd - (nxt - una);
			h_tcp_send_at(t, base + (uint32_t)nxt, H_TCP_ACK, src + nxt, seg);
			nxt += seg;
		}
		if (h_tcp_recv(t->h, f, &s, 5) == 0 && s.dport == t->gport && (s.flags & H_TCP_ACK)) {
			uint32_t acked = s.ack - base;

			ck_assert_msg(acked <= nxt || (uint32_t)-acked < 0x40000000u,
				      "slirpish acknowledged %u bytes, %zu sent", acked, nxt);
			if (acked <= nxt && acked > una) {
				una = acked;
				progress = ev_time();
			}
			t->peer_wnd = (uint32_t)s.wnd << scale;
		}
		if (hfd >= 0 && dst && dst_len) {
			ssize_t n = recv(hfd, dst + *dst_len, len - *dst_len, MSG_DONTWAIT);

			if (n > 0)
				*dst_len += (size_t)n;
		}
		if (ev_time() - progress > 0.3 && t->peer_wnd) {
			nxt = una;	/* go back N */
			progress = ev_time();
		}
	}
	t->snd_nxt = base + (uint32_t)una;
	return una;
}

/**
 * h_tcp_listener() - a TCP socket listening on 127.0.0.1, ephemeral port
 * @port:	set to the port, host order
 * @backlog:	listen() backlog
 *
 * Return: the socket (asserts on failure).
 */
int h_tcp_listener(uint16_t *port, int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(H_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/**
 * h_tcp_accept() - run the loop until a connection is pending on @lfd, accept it
 * @h:		harness
 * @lfd:	listening socket
 * @timeout_ms:	how long to wait
 *
 * Return: the accepted socket (non-blocking), or -1 on timeout.
 */
int h_tcp_accept(struct harness *h, int lfd, unsigned timeout_ms)
{
	if (h_run_until_readable(h, lfd, timeout_ms) < 0)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

/**
 * h_fd_read() - run the loop while reading up to @want bytes from a host socket
 * @h:		harness
 * @fd:		socket
 * @buf:	output
 * @want:	bytes wanted
 * @timeout_ms:	how long to wait in all
 *
 * Return: bytes read (fewer on timeout or end of file).
 */
size_t h_fd_read(struct harness *h, int fd, void *buf, size_t want, unsigned timeout_ms)
{
	double end = ev_time() + timeout_ms / 1000.0;
	uint8_t *out = buf;
	size_t got = 0;

	while (got < want) {
		double left = end - ev_time();
		ssize_t n;

		n = recv(fd, out + got, want - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		ck_assert_msg(errno == EAGAIN, "recv: %s", strerror(errno));
		if (left < 0 || h_run_until_readable(h, fd, (unsigned)(left * 1000) + 1) < 0)
			break;
	}
	return got;
}

/**
 * h_free_tcp_port() - a TCP port of 127.0.0.1 that was free a moment ago
 *
 * Return: the port, host order.
 */
uint16_t h_free_tcp_port(void)
{
	uint16_t port;
	int fd = h_tcp_listener(&port, 1);

	close(fd);
	return port;
}

/**
 * h_isolate_net() - move the process into a new network namespace with loopback up
 *
 * Only loopback exists there: every other destination is unreachable at
 * once (connect() fails with ENETUNREACH), and nothing the test sends
 * leaves the machine.  Call it from a test (Check forks one process per
 * test, so the runner itself stays where it was).
 *
 * Return: 0, or -errno (e.g. -EPERM without CAP_SYS_ADMIN).
 */
int h_isolate_net(void)
{
	struct ifreq ifr;
	int fd, ret = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
