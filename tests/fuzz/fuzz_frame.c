// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* fuzz_frame.c - fuzz target: arbitrary guest frames through a real slirpish daemon. */

/*
 * Theory of operation
 *
 * Each input gets a fresh daemon from the unit-test harness (h_setup():
 * real context, real libev loop, a stream guest over a socketpair).  The
 * first byte says how the rest reaches the guest link (one frame, frames
 * after 1- or 2-byte lengths, or raw link bytes with their own 4-byte
 * prefixes) and whether IPv4 and layer-4 checksums are fixed first, so
 * that mutations get past the checksum checks into the protocol code.
 * The loop then runs a few iterations; every frame slirpish sends back
 * must be well formed (length, IPv4 header checksum, layer-4 checksum);
 * h_teardown() hangs up and asserts that no flow and no descriptor leaked.
 *
 * Destinations: inputs name arbitrary addresses, which slirpish would
 * reach through host sockets.  fuzz_isolate() moves the process into a
 * fresh network namespace (loopback only); when that is not allowed,
 * every IPv4 destination is rewritten into the virtual network instead,
 * so no packet leaves the machine either way.
 *
 * Built twice: into the unit runner (tests/fuzz/test_fuzz.c feeds it
 * deterministic mutations), and with -DFUZZ_LIBFUZZER as a libFuzzer
 * binary (make fuzz-slirpish CC=clang).
 */

#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "slirpish/flow.h"
#include "slirpish/tcp_conn.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/harness/harness.h"

#define FUZZ_FRAMES_MAX 64
#define FUZZ_INPUT_MAX (256u << 10)

/* No private network namespace: keep every destination inside the virtual network. */
static int fuzz_contain = 1;

/**
 * fuzz_isolate() - move the process into a new network namespace with loopback up
 *
 * Return: 0, or -errno (then destinations are contained instead).
 */
static void fuzz_run(struct harness *h, struct hframe *f);

/* A host peer on 127.0.0.1:80 (the seeds' port), in the private namespace only. */
static int fuzz_peer = -1;

/**
 * fuzz_isolate() - private network namespace, and a host peer listening in it
 *
 * Return: 0, or -errno (then destinations are contained instead).
 */
int fuzz_isolate(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int ret = h_isolate_net();

	if (ret)
		return ret;
	fuzz_contain = 0;
	fuzz_peer = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(80);
	if (fuzz_peer >= 0 && (bind(fuzz_peer, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			       listen(fuzz_peer, 64) < 0)) {
		close(fuzz_peer);
		fuzz_peer = -1;
	}
	return 0;
}

/*
 * fuzz_peer_talk() - the host peer accepts what the daemon connected, sends
 * a few bytes back (the host-to-guest path), and closes.
 */
static void fuzz_peer_talk(struct harness *h, struct hframe *f)
{
	static const char reply[] = "HTTP/1.0 200 OK\r\n\r\nhello, guest";
	int fds[16], n = 0, i;

	if (fuzz_peer < 0)
		return;
	while (n < 16 && (fds[n] = accept4(fuzz_peer, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		n++;
	if (!n)
		return;
	for (i = 0; i < n; i++)
		if (send(fds[i], reply, sizeof(reply) - 1, MSG_NOSIGNAL) < 0)
			continue;
	fuzz_run(h, f);
	for (i = 0; i < n; i++)
		close(fds[i]);
	fuzz_run(h, f);
}

static uint16_t fuzz_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void fuzz_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint32_t fuzz_get32(const uint8_t *p)
{
	return (uint32_t)fuzz_get16(p) << 16 | fuzz_get16(p + 2);
}

/* fuzz_fix_ack() - ACK field of a segment of a known connection: offset from snd_una. */
static void fuzz_fix_ack(struct harness *h, uint32_t src, uint32_t dst, uint8_t *th)
{
	struct flow_key key;
	struct flow_common *fl;
	struct tcp_conn *conn;
	uint32_t ack;

	if (!(th[13] & 0x10))
		return;
	memset(&key, 0, sizeof(key));
	key.guest = (uint16_t)h->gid;
	key.proto = 6;
	key.gaddr = src;
	key.gport = fuzz_get16(th);
	key.raddr = dst;
	key.rport = fuzz_get16(th + 2);
	fl = flow_lookup(&h->c, &key);
	if (!fl || fl->type != FLOW_TCP)
		return;
	conn = container_of(fl, struct tcp_conn, f);
	ack = conn->snd_una + fuzz_get32(th + 8);
	fuzz_put16(th + 8, (uint16_t)(ack >> 16));
	fuzz_put16(th + 10, (uint16_t)ack);
}

/**
 * fuzz_fix_frame() - contain the destination and fix the checksums of an IPv4 frame
 * @h:		harness (its flows)
 * @f:		frame (modified in place)
 * @len:	its length
 * @fix:	recompute checksums, and make the ACK field of a TCP segment of a
 *		known connection relative to slirpish's oldest unacknowledged
 *		sequence number (its ISN is random: no input could guess it)
 */
static void fuzz_fix_frame(struct harness *h, uint8_t *f, size_t len, int fix)
{
	uint8_t *ip = f + 14, *l4;
	size_t ihl, tot, l4_len;
	uint32_t src, dst;

	if (len < 34 || fuzz_get16(f + 12) != 0x0800)
		return;
	if (fuzz_contain) {
		ip[16] = 10;
		ip[17] = 0;
		ip[18] = 2;
	}
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (!fix || ihl < 20 || 14 + ihl > len)
		return;
	fuzz_put16(ip + 10, 0);
	fuzz_put16(ip + 10, h_csum(ip, ihl, 0));
	tot = fuzz_get16(ip + 2);
	if (tot < ihl || 14 + tot > len)
		return;
	l4 = ip + ihl;
	l4_len = tot - ihl;
	src = fuzz_get32(ip + 12);
	dst = fuzz_get32(ip + 16);
	if (ip[9] == 6 && l4_len >= 20)
		fuzz_fix_ack(h, src, dst, l4);
	if (ip[9] == 6 && l4_len >= 18) {
		fuzz_put16(l4 + 16, 0);
		fuzz_put16(l4 + 16, h_l4_csum(src, dst, 6, l4, l4_len));
	} else if (ip[9] == 17 && l4_len >= 8) {
		fuzz_put16(l4 + 6, 0);
		fuzz_put16(l4 + 6, h_l4_csum(src, dst, 17, l4, l4_len));
	} else if (ip[9] == 1 && l4_len >= 4) {
		fuzz_put16(l4 + 2, 0);
		fuzz_put16(l4 + 2, h_csum(l4, l4_len, 0));
	}
}

/*
 * fuzz_write() - bytes on the guest link; unlike h_send_raw(), the daemon
 * may have hung up (a bad length prefix closes the link): 0 or -1.
 */
static int fuzz_write(struct harness *h, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(h->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!h->c.guests[h->gid])
				return -1;
			ev_run(h->loop, EVRUN_NOWAIT);
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fuzz_send_frame() - one frame, fixed up, with its length prefix; 0 or -1. */
static int fuzz_send_frame(struct harness *h, const uint8_t *data, size_t len, int fix)
{
	static uint8_t buf[4 + H_FRAME_MAX];

	if (len > H_FRAME_MAX)
		len = H_FRAME_MAX;
	memcpy(buf + 4, data, len);
	fuzz_fix_frame(h, buf + 4, len, fix);
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	return fuzz_write(h, buf, 4 + len);
}

/* fuzz_send_raw() - raw link bytes; frames the daemon will see are fixed up in a copy. */
static void fuzz_send_raw(struct harness *h, const uint8_t *data, size_t len, int fix)
{
	uint8_t *buf = malloc(len ? len : 1);
	size_t off = 0;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, data, len);
	while (off + 4 <= len) {
		uint32_t flen = fuzz_get32(buf + off);

		if (flen > len - off - 4)
			break;
		fuzz_fix_frame(h, buf + off + 4, flen, fix);
		off += 4 + flen;
	}
	fuzz_write(h, buf, len);
	free(buf);
}

/* fuzz_drain() - check and drop every frame slirpish sent to the guest so far. */
static void fuzz_drain(struct harness *h, struct hframe *f)
{
	while (h_recv(h, f, 0) == 0) {
		ck_assert_uint_ge(f->len, 14);
		if (f->eth_type != 0x0800)
			continue;
		ck_assert_msg(f->is_ip, "slirpish sent a malformed IPv4 header");
		if (f->proto == 1 || f->proto == 6 || f->proto == 17)
			ck_assert_msg(f->l4_csum_ok, "slirpish sent a bad checksum (proto %u)",
				      f->proto);
	}
}

/* fuzz_run() - a few loop iterations, checking the output. */
static void fuzz_run(struct harness *h, struct hframe *f)
{
	int i;

	for (i = 0; i < 3; i++) {
		ev_run(h->loop, EVRUN_NOWAIT);
		fuzz_drain(h, f);
	}
}

/**
 * fuzz_frame_input() - one fuzz input through a fresh daemon
 * @data:	input: a mode byte (FUZZ_FRAME_*), then the bytes
 * @size:	its length
 *
 * Return: 0 (problems fail assertions).
 */
int fuzz_frame_input(const uint8_t *data, size_t size)
{
	static const char *const args[] = { "--max-flows", "16", NULL };
	struct hframe *f;
	struct harness *h;
	uint8_t mode;
	int fix, n = 0;

	if (!size || size > FUZZ_INPUT_MAX)
		return 0;
	mode = data[0];
	fix = !!(mode & FUZZ_FRAME_FIX_CSUM);
	data++;
	size--;
	f = malloc(sizeof(*f));
	ck_assert_ptr_nonnull(f);
	h = h_setup(args);
	switch (mode & FUZZ_FRAME_MODE_MASK) {
	case FUZZ_FRAME_ONE:
		fuzz_send_frame(h, data, size, fix);
		break;
	case FUZZ_FRAME_RAW:
		fuzz_send_raw(h, data, size, fix);
		break;
	default:
		while (size && n++ < FUZZ_FRAMES_MAX) {
			size_t hl = (mode & FUZZ_FRAME_MODE_MASK) == FUZZ_FRAME_SPLIT8 ? 1 : 2;
			size_t len;

			if (size < hl)
				break;
			len = hl == 1 ? data[0] : fuzz_get16(data);
			data += hl;
			size -= hl;
			if (len > size)
				len = size;
			if (fuzz_send_frame(h, data, len, fix) < 0)
				break;
			data += len;
			size -= len;
			/* Let the daemon answer before the next frame (a connect
			 * completes, a SYN-ACK goes out). */
			fuzz_run(h, f);
		}
		break;
	}
	fuzz_run(h, f);
	fuzz_peer_talk(h, f);
	if (getenv("SLIRPISH_FUZZ_STATS"))
		stats_print(&h->c.stats, stderr);
	h_teardown(h);
	free(f);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
/*
 * The harness asserts with Check, whose ck_assert() reports to a running
 * test even when it holds: so each input runs as a one-test suite in the
 * fuzzer's own process (CK_NOFORK), and a failed assertion aborts, which
 * libFuzzer records as a crash with its input.  The daemon's SIGINT and
 * SIGTERM watchers replace libFuzzer's handlers while an input runs: stop
 * the fuzzer with -max_total_time rather than ^C.
 */
static const uint8_t *fuzz_lf_data;
static size_t fuzz_lf_size;

START_TEST(fuzz_lf_test)
{
	fuzz_frame_input(fuzz_lf_data, fuzz_lf_size);
}
END_TEST

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * While a test runs, Check's SIGALRM handler (its test timeout) kills the
 * whole process group; libFuzzer's -timeout uses SIGALRM too.  So the
 * libFuzzer timer is turned off (-timeout=0, given last so it wins): the
 * harness bounds every wait itself (h_teardown(): 2 s).
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char **nargv = calloc((size_t)*argc + 2, sizeof(*nargv));
	int i;

	if (nargv) {
		for (i = 0; i < *argc; i++)
			nargv[i] = (*argv)[i];
		nargv[i++] = (char *)(uintptr_t)"-timeout=0";
		nargv[i] = NULL;
		*argv = nargv;
		*argc = i;
	}
	fuzz_isolate();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Suite *s = suite_create("fuzz_frame");
	TCase *tc = tcase_create("input");
	SRunner *sr;
	int failed;

	fuzz_lf_data = data;
	fuzz_lf_size = size;
	tcase_add_test(tc, fuzz_lf_test);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	if (failed) {
		TestResult **res = srunner_failures(sr);

		fprintf(stderr, "fuzz_frame: %s:%d: %s\n", tr_lfile(res[0]), tr_lno(res[0]),
			tr_msg(res[0]));
		abort();
	}
	srunner_free(sr);
	return 0;
}
#endif
