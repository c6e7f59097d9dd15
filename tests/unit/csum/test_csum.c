// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_csum.c - the Internet checksum against RFC 1071's example and a naive implementation. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "slirpish/csum.h"
#include "tests/unit/harness/harness.h"

/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
START_TEST(test_csum_rfc1071_example)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	ck_assert_uint_eq(csum_fold(csum_partial(b, sizeof(b), 0)), (uint16_t)~0xddf2);
	ck_assert_uint_eq(csum_fold(csum_partial(b, sizeof(b), 0)), 0x220d);
}
END_TEST

/* A real IPv4 header: its checksum field is b861, and it verifies to 0. */
START_TEST(test_csum_ip_header)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	ck_assert_uint_eq(csum_fold(csum_partial(h, sizeof(h), 0)), 0);
	h[10] = h[11] = 0;
	ck_assert_uint_eq(csum_fold(csum_partial(h, sizeof(h), 0)), 0xb861);
}
END_TEST

START_TEST(test_csum_odd_lengths)
{
	static const uint8_t one[] = { 0x01 };
	static const uint8_t three[] = { 0x12, 0x34, 0x56 };

	/* The odd last byte is the high half of a zero-padded word. */
	ck_assert_uint_eq(csum_fold(csum_partial(one, 1, 0)), 0xfeff);
	ck_assert_uint_eq(csum_fold(csum_partial(three, 3, 0)), (uint16_t)~(0x1234 + 0x5600));
	ck_assert_uint_eq(csum_fold(csum_partial(one, 0, 0)), 0xffff);
}
END_TEST

/* Random buffers, every length up to 300 and odd alignments, against the naive sum. */
START_TEST(test_csum_random_vs_naive)
{
	uint8_t *buf = malloc(2048);
	unsigned i, len, off;

	ck_assert_ptr_nonnull(buf);
	srand(12345);
	for (i = 0; i < 2048; i++)
		buf[i] = (uint8_t)rand();
	for (len = 0; len <= 300; len++)
		for (off = 0; off < 4; off++)
			ck_assert_uint_eq(csum_fold(csum_partial(buf + off, len, 0)),
					  h_csum(buf + off, len, 0));
	/* Long buffers of 0xff stress the carries. */
	memset(buf, 0xff, 2048);
	ck_assert_uint_eq(csum_fold(csum_partial(buf + 1, 2047, 0)), h_csum(buf + 1, 2047, 0));
	free(buf);
}
END_TEST

/* Even-length pieces chain: csum(a || b) == fold(partial(b, partial(a))). */
START_TEST(test_csum_chaining)
{
	uint8_t buf[512];
	unsigned i, cut;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (cut = 0; cut <= sizeof(buf); cut += 2)
		ck_assert_uint_eq(csum_fold(csum_partial(buf + cut, sizeof(buf) - cut,
							 csum_partial(buf, cut, 0))),
				  h_csum(buf, sizeof(buf), 0));
}
END_TEST

/* The pseudo-header checksum agrees with the test side's, and verifies to 0. */
START_TEST(test_csum_l4_pseudo)
{
	uint8_t seg[101];
	unsigned i, len;
	uint16_t sum;

	srand(777);
	for (i = 0; i < sizeof(seg); i++)
		seg[i] = (uint8_t)rand();
	for (len = 8; len <= sizeof(seg); len++) {
		uint32_t src = (uint32_t)rand(), dst = (uint32_t)rand();

		seg[6] = seg[7] = 0;
		sum = csum_l4(src, dst, 17, seg, len);
		ck_assert_uint_eq(sum, h_l4_csum(src, dst, 17, seg, len));
		seg[6] = (uint8_t)(sum >> 8);
		seg[7] = (uint8_t)sum;
		ck_assert_uint_eq(csum_l4(src, dst, 17, seg, len), 0);
		/* A single flipped bit is caught. */
		seg[len - 1] ^= 0x10;
		ck_assert_uint_ne(csum_l4(src, dst, 17, seg, len), 0);
		seg[len - 1] ^= 0x10;
	}
}
END_TEST

Suite *csum_suite(void);
Suite *csum_suite(void)
{
	Suite *s = suite_create("csum");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_csum_rfc1071_example);
	tcase_add_test(tc, test_csum_ip_header);
	tcase_add_test(tc, test_csum_odd_lengths);
	tcase_add_test(tc, test_csum_random_vs_naive);
	tcase_add_test(tc, test_csum_chaining);
	tcase_add_test(tc, test_csum_l4_pseudo);
	suite_add_tcase(s, tc);
	return s;
}
