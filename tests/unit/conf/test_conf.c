// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_conf.c - slirpish's option parsers: port maps, addresses, prefixes, defaults. */

#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "slirpish/conf.h"
#include "slirpish/log.h"

START_TEST(test_conf_portmap_good)
{
	struct conf_portmap m;

	ck_assert_int_eq(conf_parse_portmap("8080", IPPROTO_TCP, &m), 0);
	ck_assert_uint_eq(m.proto, IPPROTO_TCP);
	ck_assert_uint_eq(m.bind, 0x7f000001u);
	ck_assert_uint_eq(m.host_port, 8080);
	ck_assert_uint_eq(m.guest_port, 8080);

	ck_assert_int_eq(conf_parse_portmap("2222:22", IPPROTO_TCP, &m), 0);
	ck_assert_uint_eq(m.host_port, 2222);
	ck_assert_uint_eq(m.guest_port, 22);

	ck_assert_int_eq(conf_parse_portmap("0.0.0.0:5353:53", IPPROTO_UDP, &m), 0);
	ck_assert_uint_eq(m.proto, IPPROTO_UDP);
	ck_assert_uint_eq(m.bind, 0);
	ck_assert_uint_eq(m.host_port, 5353);
	ck_assert_uint_eq(m.guest_port, 53);

	ck_assert_int_eq(conf_parse_portmap("192.168.1.7:65535", IPPROTO_TCP, &m), 0);
	ck_assert_uint_eq(m.bind, 0xc0a80107u);
	ck_assert_uint_eq(m.host_port, 65535);
	ck_assert_uint_eq(m.guest_port, 65535);
}
END_TEST

START_TEST(test_conf_portmap_bad)
{
	static const char *const bad[] = {
		"", "0", "65536", "8080:", ":80", "8080::80", "a:b", "80:x", "1.2.3.4",
		"1.2.3.4:5:6:7", "1:2:3", "-1", "+5", "1.2.3.256:80", "80:0", "80:65536",
		"80 ", "99999999999999999999",
		"1234567890123456789012345678901234567890123456789012345678901234567890",
	};
	struct conf_portmap m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_portmap(bad[i], IPPROTO_TCP, &m) == -1,
			      "'%s' accepted", bad[i]);
	ck_assert_int_eq(conf_parse_portmap(NULL, IPPROTO_TCP, &m), -1);
}
END_TEST

START_TEST(test_conf_ip4)
{
	static const char *const bad[] = {
		"", "10.0.2", "10.0.2.256", "abc", " 10.0.2.1", "10.0.2.1 ", "10.0.2.1/24",
		"::1", "1.2.3.4.5",
	};
	uint32_t a = 0;
	size_t i;

	ck_assert_int_eq(conf_parse_ip4("10.0.2.15", &a), 0);
	ck_assert_uint_eq(a, 0x0a00020fu);
	ck_assert_int_eq(conf_parse_ip4("255.255.255.255", &a), 0);
	ck_assert_uint_eq(a, 0xffffffffu);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = 0x12345678;
		ck_assert_msg(conf_parse_ip4(bad[i], &a) == -1, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(a, 0x12345678);
	}
	ck_assert_int_eq(conf_parse_ip4(NULL, &a), -1);
}
END_TEST

START_TEST(test_conf_prefix)
{
	static const char *const bad[] = {
		"", "/24", "10.0.2.0", "10.0.2.0/", "10.0.2.0/7", "10.0.2.0/31", "10.0.2.0/24x",
		"10.0.2.1/24", "10.0.0.0/-8", "300.0.0.0/8",
		"10.0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0/24",
	};
	uint32_t net = 0;
	unsigned len = 0;
	size_t i;

	ck_assert_int_eq(conf_parse_prefix("10.0.2.0/24", &net, &len), 0);
	ck_assert_uint_eq(net, 0x0a000200u);
	ck_assert_uint_eq(len, 24);
	ck_assert_int_eq(conf_parse_prefix("10.0.0.0/8", &net, &len), 0);
	ck_assert_uint_eq(net, 0x0a000000u);
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(conf_parse_prefix("192.168.7.252/30", &net, &len), 0);
	ck_assert_uint_eq(len, 30);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_prefix(bad[i], &net, &len) == -1, "'%s' accepted", bad[i]);
}
END_TEST

/* The whole command line: QEMU's defaults, and an error when no link is given. */
START_TEST(test_conf_parse_defaults)
{
	static char a0[] = "slirpish", a1[] = "--fd", a2[] = "3", a3[] = "--dns-forward",
		    a4[] = "1.1.1.1", a5[] = "-u", a6[] = "5353:53";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };
	char *nolink[] = { a0, NULL };
	struct conf conf;
	const char *msg = NULL;

	ck_assert_int_eq(conf_parse(&conf, 7, argv, &msg), 0);
	ck_assert_int_eq(conf.fd, 3);
	ck_assert_uint_eq(conf.net, 0x0a000200u);
	ck_assert_uint_eq(conf.prefix_len, 24);
	ck_assert_uint_eq(conf_netmask(&conf), 0xffffff00u);
	ck_assert_uint_eq(conf.gw, 0x0a000202u);
	ck_assert_uint_eq(conf.dns, 0x0a000203u);
	ck_assert_uint_eq(conf.guest_addr, 0x0a00020fu);
	ck_assert_uint_eq(conf.mtu, 1500);
	ck_assert_uint_eq(conf.n_resolvers, 1);
	ck_assert_uint_eq(conf.resolvers[0], 0x01010101u);
	ck_assert_uint_eq(conf.n_maps, 1);
	ck_assert_uint_eq(conf.maps[0].proto, IPPROTO_UDP);
	ck_assert_uint_eq(conf.maps[0].guest_port, 53);

	msg = NULL;
	ck_assert_int_eq(conf_parse(&conf, 1, nolink, &msg), -1);
	ck_assert_ptr_nonnull(msg);
}
END_TEST

Suite *conf_suite(void);
Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_conf_portmap_good);
	tcase_add_test(tc, test_conf_portmap_bad);
	tcase_add_test(tc, test_conf_ip4);
	tcase_add_test(tc, test_conf_prefix);
	tcase_add_test(tc, test_conf_parse_defaults);
	suite_add_tcase(s, tc);
	return s;
}
