// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_ip4.c - IPv4 validation: every way a header can be wrong, and the counter it gives. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "slirpish/ip4.h"
#include "tests/unit/harness/harness.h"

/* ip4_test_pkt() - a valid 20-byte header + 8 payload bytes, checksum by the test side. */
static size_t ip4_test_pkt(uint8_t *b)
{
	memset(b, 0, 64);
	b[0] = 0x45;
	b[1] = 0x10;
	b[3] = 28;
	b[6] = 0x40;	/* DF */
	b[8] = 61;
	b[9] = 17;
	b[12] = 10; b[13] = 0; b[14] = 2; b[15] = 15;
	b[16] = 10; b[17] = 0; b[18] = 2; b[19] = 2;
	memcpy(b + 20, "payload!", 8);
	b[10] = b[11] = 0;
	{
		uint16_t s = h_csum(b, 20, 0);

		b[10] = (uint8_t)(s >> 8);
		b[11] = (uint8_t)s;
	}
	return 28;
}

/* ip4_test_fix() - recompute the header checksum after an edit. */
static void ip4_test_fix(uint8_t *b, size_t hlen)
{
	uint16_t s;

	b[10] = b[11] = 0;
	s = h_csum(b, hlen, 0);
	b[10] = (uint8_t)(s >> 8);
	b[11] = (uint8_t)s;
}

/* ip4_test_expect() - ip4_parse() rejects @len bytes of @b with counter @want. */
static void ip4_test_expect(const uint8_t *b, size_t len, enum stat_id want)
{
	struct pkt p = { b, len };
	struct ip4_hdr ip;
	enum stat_id why = STAT_COUNT;

	ck_assert_int_eq(ip4_parse(&p, &ip, &why), -1);
	ck_assert_msg(why == want, "stat %s, want %s", stats_name(why), stats_name(want));
}

START_TEST(test_ip4_good)
{
	uint8_t b[64];
	size_t len = ip4_test_pkt(b);
	struct pkt p = { b, len + 6 };	/* Ethernet padding after the packet */
	struct ip4_hdr ip;
	enum stat_id why;

	ck_assert_int_eq(ip4_parse(&p, &ip, &why), 0);
	ck_assert_uint_eq(ip.src, H_GUEST);
	ck_assert_uint_eq(ip.dst, H_GW);
	ck_assert_uint_eq(ip.proto, 17);
	ck_assert_uint_eq(ip.ttl, 61);
	ck_assert_uint_eq(ip.tos, 0x10);
	ck_assert_ptr_eq(ip.l4.data, b + 20);
	ck_assert_uint_eq(ip.l4.len, 8);	/* bounded by the total length, not the buffer */
}
END_TEST

START_TEST(test_ip4_truncated)
{
	uint8_t b[64];

	ip4_test_pkt(b);
	ip4_test_expect(b, 0, STAT_BAD_IP);
	ip4_test_expect(b, 19, STAT_BAD_IP);
	/* Total length 28 but only 27 bytes present. */
	ip4_test_expect(b, 27, STAT_BAD_IP);
}
END_TEST

START_TEST(test_ip4_bad_version)
{
	uint8_t b[64];
	size_t len = ip4_test_pkt(b);

	b[0] = 0x65;
	ip4_test_fix(b, 20);
	ip4_test_expect(b, len, STAT_BAD_IP);
}
END_TEST

START_TEST(test_ip4_bad_ihl)
{
	uint8_t b[64];
	size_t len = ip4_test_pkt(b);

	b[0] = 0x44;	/* 16 bytes: less than the minimum */
	ip4_test_fix(b, 16);
	ip4_test_expect(b, len, STAT_BAD_IP);
	len = ip4_test_pkt(b);
	b[0] = 0x4f;	/* 60 bytes: more than the total length (28) */
	ip4_test_expect(b, len, STAT_BAD_IP);
}
END_TEST

START_TEST(test_ip4_bad_total_length)
{
	uint8_t b[64];
	size_t len = ip4_test_pkt(b);

	b[3] = 200;	/* beyond the buffer */
	ip4_test_fix(b, 20);
	ip4_test_expect(b, len, STAT_BAD_IP);
	len = ip4_test_pkt(b);
	b[3] = 19;	/* shorter than the header */
	ip4_test_fix(b, 20);
	ip4_test_expect(b, len, STAT_BAD_IP);
}
END_TEST

START_TEST(test_ip4_bad_checksum)
{
	uint8_t b[64];
	size_t len = ip4_test_pkt(b);

	b[11] ^= 1;
	ip4_test_expect(b, len, STAT_BAD_IP_CSUM);
	len = ip4_test_pkt(b);
	b[15] = 16;	/* source changed, checksum not */
	ip4_test_expect(b, len, STAT_BAD_IP_CSUM);
}
END_TEST

START_TEST(test_ip4_fragments)
{
	uint8_t b[64];
	size_t len = ip4_test_pkt(b);

	b[6] = 0x20;	/* MF, offset 0: first fragment */
	ip4_test_fix(b, 20);
	ip4_test_expect(b, len, STAT_IP_FRAGMENT);
	len = ip4_test_pkt(b);
	b[6] = 0x00;
	b[7] = 0xb9;	/* last fragment, offset 185*8 */
	ip4_test_fix(b, 20);
	ip4_test_expect(b, len, STAT_IP_FRAGMENT);
}
END_TEST

/* Through the daemon: the counters of ip4_input(), and an unknown protocol. */
START_TEST(test_ip4_input_counters)
{
	struct harness *h = h_setup(NULL);
	uint8_t f[128];
	static const uint8_t junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t len;

	len = h_build_ip4(h, f, 99, H_GUEST, H_GW, junk, sizeof(junk));
	h_send(h, f, len);
	f[14 + 10] ^= 0xff;	/* header checksum */
	h_send(h, f, len);
	h_send(h, f, 14 + 10);	/* truncated header */
	h_run_for(h, 50);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_PROTO), 1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_IP_CSUM), 1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_IP), 1);
	ck_assert_uint_eq(h_stat(h, STAT_TX_FRAMES), 0);
	h_teardown(h);
}
END_TEST

Suite *ip4_suite(void);
Suite *ip4_suite(void)
{
	Suite *s = suite_create("ip4");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ip4_good);
	tcase_add_test(tc, test_ip4_truncated);
	tcase_add_test(tc, test_ip4_bad_version);
	tcase_add_test(tc, test_ip4_bad_ihl);
	tcase_add_test(tc, test_ip4_bad_total_length);
	tcase_add_test(tc, test_ip4_bad_checksum);
	tcase_add_test(tc, test_ip4_fragments);
	tcase_add_test(tc, test_ip4_input_counters);
	suite_add_tcase(s, tc);
	return s;
}
