// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_dns.c - DNS query checks, resolv.conf parsing, and queries through the daemon. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slirpish/dns.h"
#include "slirpish/flow.h"
#include "tests/unit/harness/harness.h"

/* A query for example.com, type A, class IN (29 bytes). */
static const uint8_t dns_q_example[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
};

/* dns_test_check() - dns_query_check() over @len bytes of @b. */
static int dns_test_check(const uint8_t *b, size_t len)
{
	struct pkt p = { b, len };

	return dns_query_check(&p);
}

START_TEST(test_dns_good)
{
	uint8_t b[128];
	size_t n = sizeof(dns_q_example);

	ck_assert_int_eq(dns_test_check(dns_q_example, n), 0);
	/* With an EDNS OPT record after the question: not parsed, accepted. */
	memcpy(b, dns_q_example, n);
	b[11] = 1;
	memcpy(b + n, "\0\0\x29\x10\0\0\0\0\0\0\0", 11);
	ck_assert_int_eq(dns_test_check(b, n + 11), 0);
	/* Two questions, the second compressed to point at the first's name. */
	memcpy(b, dns_q_example, n);
	b[5] = 2;
	b[n] = 0xc0;
	b[n + 1] = 12;
	memcpy(b + n + 2, "\0\x1c\0\x01", 4);	/* AAAA IN */
	ck_assert_int_eq(dns_test_check(b, n + 6), 0);
	/* The root name. */
	memcpy(b, dns_q_example, 12);
	memcpy(b + 12, "\0\0\x02\0\x01", 5);
	ck_assert_int_eq(dns_test_check(b, 17), 0);
}
END_TEST

START_TEST(test_dns_bad)
{
	uint8_t b[600];
	size_t n = sizeof(dns_q_example), i;

	ck_assert_int_eq(dns_test_check(dns_q_example, 11), -1);	/* short header */
	for (i = 12; i < n; i++)					/* every truncation */
		ck_assert_msg(dns_test_check(dns_q_example, i) == -1, "%zu bytes accepted", i);

	memcpy(b, dns_q_example, n);
	b[2] |= 0x80;							/* a response */
	ck_assert_int_eq(dns_test_check(b, n), -1);

	memcpy(b, dns_q_example, n);
	b[5] = 0;							/* no question */
	ck_assert_int_eq(dns_test_check(b, n), -1);

	memcpy(b, dns_q_example, n);
	b[5] = 2;							/* promises 2, has 1 */
	ck_assert_int_eq(dns_test_check(b, n), -1);

	memcpy(b, dns_q_example, n);
	b[12] = 60;							/* label past the end */
	ck_assert_int_eq(dns_test_check(b, n), -1);

	memcpy(b, dns_q_example, n);
	b[12] = 0xc0;							/* pointer to itself */
	b[13] = 12;
	ck_assert_int_eq(dns_test_check(b, n), -1);

	memcpy(b, dns_q_example, n);
	b[20] = 0xc0;							/* forward pointer */
	b[21] = 24;
	ck_assert_int_eq(dns_test_check(b, n), -1);

	/* Two names pointing at each other: a loop. */
	memcpy(b, dns_q_example, 12);
	b[5] = 2;
	b[12] = 0xc0; b[13] = 18;
	memcpy(b + 14, "\0\x01\0\x01", 4);
	b[18] = 0xc0; b[19] = 12;
	memcpy(b + 20, "\0\x01\0\x01", 4);
	ck_assert_int_eq(dns_test_check(b, 24), -1);

	memcpy(b, dns_q_example, n);
	b[12] = 0x47;							/* reserved label type 01 */
	ck_assert_int_eq(dns_test_check(b, n), -1);

	/* A name of 9 labels of 63 bytes: longer than 255. */
	memcpy(b, dns_q_example, 12);
	for (i = 0; i < 9; i++) {
		b[12 + i * 64] = 63;
		memset(b + 13 + i * 64, 'a', 63);
	}
	b[12 + 9 * 64] = 0;
	memcpy(b + 13 + 9 * 64, "\0\x01\0\x01", 4);
	ck_assert_int_eq(dns_test_check(b, 17 + 9 * 64), -1);
	/* ...while 3 such labels (192 bytes) are fine. */
	b[12 + 3 * 64] = 0;
	memcpy(b + 13 + 3 * 64, "\0\x01\0\x01", 4);
	ck_assert_int_eq(dns_test_check(b, 17 + 3 * 64), 0);
}
END_TEST

/* dns_test_file() - write @text to a temporary file; its path in @path. */
static void dns_test_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/slirpish-test-resolv.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(test_dns_resolv_conf)
{
	char path[64];
	uint32_t r[3] = { 0, 0, 0 };

	dns_test_file(path,
		      "# generated\n"
		      "search example.org\n"
		      "nameserver 1.2.3.4\n"
		      "nameserver ::1\n"
		      "  nameserver\t10.0.0.1  # local\n"
		      "; nameserver 5.5.5.5\n"
		      "nameserver fe80::1%eth0\n"
		      "nameservers 6.6.6.6\n"
		      "nameserver 8.8.8.8\n"
		      "nameserver 9.9.9.9\n"
		      "options edns0\n");
	ck_assert_int_eq(dns_resolvers_load(path, r, 3), 3);
	ck_assert_uint_eq(r[0], 0x01020304u);
	ck_assert_uint_eq(r[1], 0x0a000001u);
	ck_assert_uint_eq(r[2], 0x08080808u);
	memset(r, 0, sizeof(r));
	ck_assert_int_eq(dns_resolvers_load(path, r, 1), 1);
	ck_assert_uint_eq(r[0], 0x01020304u);
	ck_assert_uint_eq(r[1], 0);
	unlink(path);

	dns_test_file(path, "nameserver ::1\nsearch x\n");
	ck_assert_int_eq(dns_resolvers_load(path, r, 3), 0);
	unlink(path);
	dns_test_file(path, "nameserver 127.0.0.53");	/* no final newline */
	ck_assert_int_eq(dns_resolvers_load(path, r, 3), 1);
	ck_assert_uint_eq(r[0], 0x7f000035u);
	unlink(path);
	ck_assert_int_eq(dns_resolvers_load("/nonexistent/resolv.conf", r, 3), -ENOENT);
}
END_TEST

/* Through the daemon: a bad query to the DNS address is counted and goes nowhere. */
START_TEST(test_dns_through_daemon)
{
	struct harness *h = h_setup(NULL);
	uint8_t bad[sizeof(dns_q_example)];

	memcpy(bad, dns_q_example, sizeof(bad));
	bad[2] |= 0x80;
	h_send_udp(h, H_DNS, 40000, 53, bad, sizeof(bad));
	h_run_for(h, 50);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_DNS), 1);
	ck_assert_uint_eq(h_stat(h, STAT_DNS_QUERIES), 0);
	ck_assert_uint_eq(flow_count(&h->c), 0);

	h_send_udp(h, H_DNS, 40001, 53, dns_q_example, sizeof(dns_q_example));
	h_run_for(h, 50);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_DNS), 1);
	ck_assert_uint_eq(h_stat(h, STAT_DNS_QUERIES), 1);
	ck_assert_uint_eq(h_stat(h, STAT_UDP_FLOWS), 1);
	ck_assert_uint_eq(flow_count(&h->c), 1);
	h_teardown(h);
}
END_TEST

Suite *dns_suite(void);
Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dns_good);
	tcase_add_test(tc, test_dns_bad);
	tcase_add_test(tc, test_dns_resolv_conf);
	tcase_add_test(tc, test_dns_through_daemon);
	suite_add_tcase(s, tc);
	return s;
}
