// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_frame.c - the stream link's framing: frame_stream_next() and the daemon's reaction. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "slirpish/guest.h"
#include "tests/unit/harness/harness.h"

START_TEST(test_frame_complete)
{
	static const uint8_t b[] = { 0, 0, 0, 3, 0xaa, 0xbb, 0xcc, 0, 0, 0, 1, 0xdd };
	const uint8_t *f = NULL;
	size_t fl = 0;

	ck_assert_int_eq(frame_stream_next(b, sizeof(b), 100, &f, &fl), 7);
	ck_assert_ptr_eq(f, b + 4);
	ck_assert_uint_eq(fl, 3);
	ck_assert_int_eq(frame_stream_next(b + 7, sizeof(b) - 7, 100, &f, &fl), 5);
	ck_assert_ptr_eq(f, b + 11);
	ck_assert_uint_eq(fl, 1);
}
END_TEST

START_TEST(test_frame_partial)
{
	static const uint8_t b[] = { 0, 0, 0, 3, 0xaa, 0xbb, 0xcc };
	const uint8_t *f = NULL;
	size_t fl = 0, n;

	/* Every strict prefix needs more bytes. */
	for (n = 0; n < sizeof(b); n++)
		ck_assert_int_eq(frame_stream_next(b, n, 100, &f, &fl), 0);
	ck_assert_int_eq(frame_stream_next(b, sizeof(b), 100, &f, &fl), 7);
}
END_TEST

START_TEST(test_frame_zero_length)
{
	static const uint8_t b[] = { 0, 0, 0, 0 };
	const uint8_t *f = NULL;
	size_t fl = 99;

	ck_assert_int_eq(frame_stream_next(b, sizeof(b), 100, &f, &fl), 4);
	ck_assert_uint_eq(fl, 0);
}
END_TEST

START_TEST(test_frame_oversized)
{
	static const uint8_t at_max[] = { 0, 0, 0, 100 };
	static const uint8_t over[] = { 0, 0, 0, 101 };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };
	const uint8_t *f;
	size_t fl;

	/* At the limit: just incomplete; one past it: an error, even with no body yet. */
	ck_assert_int_eq(frame_stream_next(at_max, sizeof(at_max), 100, &f, &fl), 0);
	ck_assert_int_eq(frame_stream_next(over, sizeof(over), 100, &f, &fl), -1);
	ck_assert_int_eq(frame_stream_next(huge, sizeof(huge), GUEST_FRAME_MAX, &f, &fl), -1);
}
END_TEST

/* Through the daemon: a frame split over many writes still gets its answer. */
START_TEST(test_frame_split_writes)
{
	struct harness *h = h_setup(NULL);
	uint8_t req[64], pre[4] = { 0, 0, 0, 0 };
	struct hframe *r = malloc(sizeof(*r));
	size_t len = h_build_arp_request(h, req, H_GUEST, H_GW), i;

	ck_assert_ptr_nonnull(r);
	pre[3] = (uint8_t)len;
	h_send_raw(h, pre, 2);
	h_run_for(h, 20);
	h_send_raw(h, pre + 2, 2);
	for (i = 0; i < len; i++) {
		h_send_raw(h, req + i, 1);
		if (i % 10 == 0)
			h_run_for(h, 5);
	}
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(r->eth_type, 0x0806);
	ck_assert_uint_eq(h_stat(h, STAT_RX_FRAMES), 1);
	free(r);
	h_teardown(h);
}
END_TEST

/* Through the daemon: an impossible length prefix closes the link, counted. */
START_TEST(test_frame_bad_prefix_closes)
{
	struct harness *h = h_setup(NULL);
	static const uint8_t bad[] = { 0x7f, 0xff, 0xff, 0xff };

	h_send_raw(h, bad, sizeof(bad));
	h_run_for(h, 100);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_FRAME_LEN), 1);
	ck_assert_ptr_null(h->c.guests[h->gid]);
	h_teardown(h);
}
END_TEST

/* A frame shorter than an Ethernet header is counted and dropped; the link lives on. */
START_TEST(test_frame_runt)
{
	struct harness *h = h_setup(NULL);
	static const uint8_t runt[5] = { 1, 2, 3, 4, 5 };
	uint8_t req[64];
	struct hframe *r = malloc(sizeof(*r));

	ck_assert_ptr_nonnull(r);
	h_send(h, runt, sizeof(runt));
	h_send(h, runt, 0);
	h_send(h, req, h_build_arp_request(h, req, H_GUEST, H_GW));
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_ETH), 2);
	ck_assert_uint_eq(h_stat(h, STAT_RX_FRAMES), 3);
	free(r);
	h_teardown(h);
}
END_TEST

Suite *frame_suite(void);
Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_frame_complete);
	tcase_add_test(tc, test_frame_partial);
	tcase_add_test(tc, test_frame_zero_length);
	tcase_add_test(tc, test_frame_oversized);
	tcase_add_test(tc, test_frame_split_writes);
	tcase_add_test(tc, test_frame_bad_prefix_closes);
	tcase_add_test(tc, test_frame_runt);
	suite_add_tcase(s, tc);
	return s;
}
