// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_arp.c - ARP through the daemon: the gateway answers, strangers do not. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/harness/harness.h"

static struct harness *h;
static struct hframe *r;

static void arp_setup(void)
{
	h = h_setup(NULL);
	r = malloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
}

static void arp_teardown(void)
{
	free(r);
	h_teardown(h);
}

static uint32_t arp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

START_TEST(test_arp_gateway)
{
	uint8_t req[64];
	const uint8_t *a;

	h_send(h, req, h_build_arp_request(h, req, H_GUEST, H_GW));
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_ge(r->len, 42);
	ck_assert_uint_eq(r->eth_type, 0x0806);
	ck_assert_mem_eq(r->data, h->mac, 6);			/* to the asker */
	ck_assert_mem_eq(r->data + 6, h->conf.gw_mac, 6);	/* from the gateway */
	a = r->data + 14;
	ck_assert_uint_eq(a[0] << 8 | a[1], 1);
	ck_assert_uint_eq(a[2] << 8 | a[3], 0x0800);
	ck_assert_uint_eq(a[4], 6);
	ck_assert_uint_eq(a[5], 4);
	ck_assert_uint_eq(a[6] << 8 | a[7], 2);			/* reply */
	ck_assert_mem_eq(a + 8, h->conf.gw_mac, 6);
	ck_assert_uint_eq(arp_get32(a + 14), H_GW);
	ck_assert_mem_eq(a + 18, h->mac, 6);
	ck_assert_uint_eq(arp_get32(a + 24), H_GUEST);
	ck_assert_uint_eq(h_stat(h, STAT_ARP_REPLIES), 1);

	/* The DNS server is a virtual host too. */
	h_send(h, req, h_build_arp_request(h, req, H_GUEST, H_DNS));
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(arp_get32(r->data + 14 + 14), H_DNS);
	ck_assert_uint_eq(h_stat(h, STAT_ARP_REPLIES), 2);
}
END_TEST

START_TEST(test_arp_outside_ignored)
{
	uint8_t req[64];

	h_send(h, req, h_build_arp_request(h, req, H_GUEST, 0xc0a80101u));
	/* Nor is the guest's own address answered (duplicate address detection). */
	h_send(h, req, h_build_arp_request(h, req, 0, H_GUEST));
	ck_assert_int_eq(h_recv(h, r, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_ARP_REPLIES), 0);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_ARP), 0);
}
END_TEST

START_TEST(test_arp_truncated)
{
	uint8_t req[64];
	size_t len = h_build_arp_request(h, req, H_GUEST, H_GW);

	h_send(h, req, len - 1);
	h_send(h, req, 14 + 8);
	ck_assert_int_eq(h_recv(h, r, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_ARP), 2);
	ck_assert_uint_eq(h_stat(h, STAT_ARP_REPLIES), 0);
}
END_TEST

Suite *arp_suite(void);
Suite *arp_suite(void)
{
	Suite *s = suite_create("arp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, arp_setup, arp_teardown);
	tcase_add_test(tc, test_arp_gateway);
	tcase_add_test(tc, test_arp_outside_ignored);
	tcase_add_test(tc, test_arp_truncated);
	suite_add_tcase(s, tc);
	return s;
}
