// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_icmp.c - ICMP echo through the daemon: answered by virtual hosts, relayed, or dropped. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* unshare() */
#endif

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "slirpish/flow.h"
#include "tests/unit/harness/harness.h"

static struct harness *h;
static struct hframe *r;

static void icmp_setup(void)
{
	h = h_setup(NULL);
	r = malloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
}

static void icmp_teardown(void)
{
	free(r);
	h_teardown(h);
}

/* icmp_test_echo() - an echo to @dst is answered from @dst with the same id, seq and data. */
static void icmp_test_echo(uint32_t dst, uint16_t id, uint16_t seq)
{
	uint8_t f[256], data[56];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ seq);
	h_send(h, f, h_build_icmp_echo(h, f, H_GUEST, dst, id, seq, data, sizeof(data)));
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert(r->is_ip);
	ck_assert_uint_eq(r->proto, 1);
	ck_assert_uint_eq(r->src, dst);
	ck_assert_uint_eq(r->dst, H_GUEST);
	ck_assert_mem_eq(r->data, h->mac, 6);
	ck_assert(r->l4_csum_ok);
	ck_assert_uint_eq(r->l4_len, 8 + sizeof(data));
	ck_assert_uint_eq(r->l4[0], 0);		/* echo reply */
	ck_assert_uint_eq(r->l4[1], 0);
	ck_assert_uint_eq(r->l4[4] << 8 | r->l4[5], id);
	ck_assert_uint_eq(r->l4[6] << 8 | r->l4[7], seq);
	ck_assert_mem_eq(r->l4 + 8, data, sizeof(data));
}

START_TEST(test_icmp_echo_gateway)
{
	icmp_test_echo(H_GW, 0x1234, 7);
	icmp_test_echo(H_GW, 0xbeef, 8);
	ck_assert_uint_eq(h_stat(h, STAT_ICMP_ECHOS), 2);
	ck_assert_uint_eq(flow_count(&h->c), 0);	/* answered without a flow */
}
END_TEST

START_TEST(test_icmp_echo_dns)
{
	icmp_test_echo(H_DNS, 1, 1);
}
END_TEST

START_TEST(test_icmp_bad_checksum)
{
	uint8_t f[256];
	size_t len = h_build_icmp_echo(h, f, H_GUEST, H_GW, 1, 1, "abcdefgh", 8);

	f[34 + 9] ^= 0x01;	/* payload changed, checksum not */
	h_send(h, f, len);
	ck_assert_int_eq(h_recv(h, r, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4_CSUM), 1);
	ck_assert_uint_eq(h_stat(h, STAT_ICMP_ECHOS), 0);
}
END_TEST

START_TEST(test_icmp_truncated)
{
	uint8_t f[256];
	size_t len = h_build_ip4(h, f, 1, H_GUEST, H_GW, "\x08\0\xf7\xff", 4);

	h_send(h, f, len);
	ck_assert_int_eq(h_recv(h, r, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4), 1);
}
END_TEST

/* Other ICMP types (here an echo reply) are ignored, not counted as bad. */
START_TEST(test_icmp_other_type_ignored)
{
	uint8_t f[256];
	size_t len = h_build_icmp_echo(h, f, H_GUEST, H_GW, 1, 1, "abcd", 4);

	f[34] = 0;
	f[34 + 2] = 0;
	f[34 + 3] = 0;
	{
		uint16_t s = h_csum(f + 34, 12, 0);

		f[34 + 2] = (uint8_t)(s >> 8);
		f[34 + 3] = (uint8_t)s;
	}
	h_send(h, f, len);
	ck_assert_int_eq(h_recv(h, r, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4), 0);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4_CSUM), 0);
	ck_assert_uint_eq(h_stat(h, STAT_ICMP_ECHOS), 0);
}
END_TEST

/*
 * An echo to a real host address goes through a ping socket when the kernel
 * allows them (net.ipv4.ping_group_range): then the reply comes back with
 * the guest's identifier.  When it does not, the request is dropped and no
 * flow is left behind.  The destination is the host's own loopback-routed
 * address seen through the gateway's NAT: 127/8 is refused by NAT, so a
 * ping socket test needs a non-loopback local address (SLIRPISH_TEST_PING_ADDR).
 */
START_TEST(test_icmp_relay_or_drop)
{
	int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	const char *addr = getenv("SLIRPISH_TEST_PING_ADDR");
	uint32_t dst = 0;

	if (fd >= 0) {
		close(fd);
		if (!addr || conf_parse_ip4(addr, &dst)) {
			fprintf(stderr, "test_icmp_relay_or_drop: ping sockets allowed, but "
				"SLIRPISH_TEST_PING_ADDR unset: relay not tested\n");
			return;
		}
		icmp_test_echo(dst, 0x4242, 3);
		ck_assert_uint_eq(flow_count(&h->c), 1);
		icmp_test_echo(dst, 0x4242, 4);
		ck_assert_uint_eq(flow_count(&h->c), 1);
	} else {
		uint8_t f[256];

		ck_assert(errno == EACCES || errno == EPERM);
		h_send(h, f, h_build_icmp_echo(h, f, H_GUEST, 0xc0000202u, 9, 9, "zz", 2));
		h_send(h, f, h_build_icmp_echo(h, f, H_GUEST, 0xc0000202u, 9, 10, "zz", 2));
		ck_assert_int_eq(h_recv(h, r, 200), -1);
		ck_assert_uint_eq(flow_count(&h->c), 0);
	}
}
END_TEST

/* icmp_test_netns() - a private network namespace whose lo is 192.0.2.99, ping sockets allowed; 0 or -1. */
static int icmp_test_netns(void)
{
	struct ifreq ifr;
	struct sockaddr_in *sa = (struct sockaddr_in *)(void *)&ifr.ifr_addr;
	int fd, ok;

	/* Without fork mode, the namespace would outlive this test: do not. */
	if (getenv("CK_FORK") && !strcmp(getenv("CK_FORK"), "no"))
		return -1;
	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(0xc0000263u);
	ok = !ioctl(fd, SIOCSIFADDR, &ifr);
	ifr.ifr_flags = IFF_UP | IFF_RUNNING;
	ok = ok && !ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
	ok = ok && fd >= 0 && write(fd, "0 2147483647", 12) == 12;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * The relay through a real ping socket, where this test may create a
 * network namespace (root): echo to 192.0.2.99 (the namespace's own
 * address) comes back with the guest's identifier, through one flow.
 */
START_TEST(test_icmp_relay_netns)
{
	if (icmp_test_netns()) {
		fprintf(stderr, "test_icmp_relay_netns: no private network namespace, skipped\n");
		return;
	}
	icmp_setup();
	icmp_test_echo(0xc0000263u, 0x4242, 1);
	ck_assert_uint_eq(flow_count(&h->c), 1);
	icmp_test_echo(0xc0000263u, 0x4242, 2);
	icmp_test_echo(0xc0000263u, 0x0001, 3);	/* another id: another flow */
	ck_assert_uint_eq(flow_count(&h->c), 2);
	ck_assert_uint_eq(h_stat(h, STAT_ICMP_ECHOS), 3);
	icmp_teardown();
}
END_TEST

/* Random ICMP messages to the gateway (correct checksums, random types and lengths): no crash. */
START_TEST(test_icmp_random_garbage)
{
	uint8_t f[600], m[560];
	unsigned i, j, echos = 0;

	srand(99);
	for (i = 0; i < 2000; i++) {
		size_t mlen = (size_t)rand() % sizeof(m);
		uint16_t s;

		for (j = 0; j < mlen; j++)
			m[j] = (uint8_t)rand();
		if (mlen >= 8) {
			if (i % 2)
				m[0] = 8, m[1] = 0;
			m[2] = m[3] = 0;
			s = h_csum(m, mlen, 0);
			m[2] = (uint8_t)(s >> 8);
			m[3] = (uint8_t)s;
			echos += m[0] == 8 && m[1] == 0;
		}
		h_send(h, f, h_build_ip4(h, f, 1, H_GUEST, i % 4 ? H_GW : H_DNS, m, mlen));
		if (i % 100 == 99)
			while (h_recv(h, r, 1) == 0)
				;
	}
	while (h_recv(h, r, 50) == 0)
		;
	ck_assert_uint_eq(h_stat(h, STAT_ICMP_ECHOS), echos);
	ck_assert_uint_gt(h_stat(h, STAT_BAD_L4), 0);
	icmp_test_echo(H_GW, 7, 7);
}
END_TEST

Suite *icmp_suite(void);
Suite *icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, icmp_setup, icmp_teardown);
	tcase_add_test(tc, test_icmp_echo_gateway);
	tcase_add_test(tc, test_icmp_echo_dns);
	tcase_add_test(tc, test_icmp_bad_checksum);
	tcase_add_test(tc, test_icmp_truncated);
	tcase_add_test(tc, test_icmp_other_type_ignored);
	tcase_add_test(tc, test_icmp_relay_or_drop);
	tcase_add_test(tc, test_icmp_random_garbage);
	suite_add_tcase(s, tc);
	tc = tcase_create("relay");
	tcase_add_test(tc, test_icmp_relay_netns);
	suite_add_tcase(s, tc);
	return s;
}
