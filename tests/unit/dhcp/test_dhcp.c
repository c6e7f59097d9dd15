// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_dhcp.c - the DHCP server: parser, reply builder, and DISCOVER/REQUEST through the daemon. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "slirpish/dhcp.h"
#include "tests/unit/harness/harness.h"

static const uint8_t dhcp_test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void dhcp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t dhcp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/**
 * dhcp_test_msg() - a client message as the test side writes it
 * @b:		output, at least 300 bytes
 * @type:	option 53
 * @req_addr:	option 50, or 0 for none
 * @ciaddr:	ciaddr field
 *
 * Return: length.
 */
static size_t dhcp_test_msg(uint8_t *b, uint8_t type, uint32_t req_addr, uint32_t ciaddr)
{
	size_t o = 240;

	memset(b, 0, 300);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	dhcp_put32(b + 4, 0xdeadbeef);
	b[10] = 0x80;	/* broadcast flag */
	dhcp_put32(b + 12, ciaddr);
	memcpy(b + 28, dhcp_test_mac, 6);
	dhcp_put32(b + 236, 0x63825363);
	b[o++] = 53; b[o++] = 1; b[o++] = type;
	b[o++] = 55; b[o++] = 4; b[o++] = 1; b[o++] = 3; b[o++] = 6; b[o++] = 26;
	if (req_addr) {
		b[o++] = 50; b[o++] = 4;
		dhcp_put32(b + o, req_addr);
		o += 4;
	}
	b[o++] = 255;
	return 300;
}

/**
 * dhcp_test_opt() - find an option in a server message (test-side parser)
 * @m:		message
 * @len:	its length
 * @code:	option code
 * @olen:	set to the option's length
 *
 * Return: the option's value, or NULL.
 */
static const uint8_t *dhcp_test_opt(const uint8_t *m, size_t len, uint8_t code, size_t *olen)
{
	size_t o = 240;

	while (o < len && m[o] != 255) {
		if (m[o] == 0) {
			o++;
			continue;
		}
		ck_assert_uint_le(o + 2, len);
		ck_assert_uint_le(o + 2 + m[o + 1], len);
		if (m[o] == code) {
			*olen = m[o + 1];
			return m + o + 2;
		}
		o += 2 + (size_t)m[o + 1];
	}
	ck_assert_msg(o < len, "no end option");
	return NULL;
}

/* dhcp_test_opt32() - a 4-byte option's value (asserted present). */
static uint32_t dhcp_test_opt32(const uint8_t *m, size_t len, uint8_t code)
{
	size_t olen = 0;
	const uint8_t *v = dhcp_test_opt(m, len, code, &olen);

	ck_assert_msg(v != NULL, "option %u missing", code);
	ck_assert_uint_eq(olen, 4);
	return dhcp_get32(v);
}

/* dhcp_test_type() - option 53 of a server message. */
static uint8_t dhcp_test_type(const uint8_t *m, size_t len)
{
	size_t olen = 0;
	const uint8_t *v = dhcp_test_opt(m, len, 53, &olen);

	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(olen, 1);
	return v[0];
}

/* dhcp_test_conf() - the default configuration, built by conf_parse(). */
static void dhcp_test_conf(struct conf *conf, const char *mtu)
{
	static char a0[] = "slirpish", a1[] = "--fd", a2[] = "3", a3[] = "--dns-forward",
		    a4[] = "127.0.0.1", a5[] = "--mtu";
	char *argv[] = { a0, a1, a2, a3, a4, a5, (char *)(uintptr_t)mtu, NULL };
	const char *msg;

	ck_assert_int_eq(conf_parse(conf, mtu ? 7 : 5, argv, &msg), 0);
}

START_TEST(test_dhcp_parse)
{
	uint8_t b[300];
	struct pkt p = { b, dhcp_test_msg(b, DHCP_REQUEST, H_GUEST, 0) };
	struct dhcp_msg m;

	ck_assert_int_eq(dhcp_parse(&p, &m), 0);
	ck_assert_uint_eq(m.type, DHCP_REQUEST);
	ck_assert_uint_eq(m.xid, 0xdeadbeef);
	ck_assert_uint_eq(m.flags, 0x8000);
	ck_assert_mem_eq(m.chaddr, dhcp_test_mac, 6);
	ck_assert_uint_eq(m.req_addr, H_GUEST);
	ck_assert_uint_eq(m.ciaddr, 0);
	ck_assert_uint_eq(m.server_id, 0);
}
END_TEST

START_TEST(test_dhcp_parse_malformed)
{
	uint8_t b[300];
	struct pkt p = { b, 0 };
	struct dhcp_msg m;

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	p.len = 239;					/* no room for the cookie */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	b[236] = 0x64;					/* bad cookie */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	b[0] = 2;					/* BOOTREPLY from a client */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	b[2] = 16;					/* not an Ethernet address */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	b[241] = 2;					/* option 53 of length 2 */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	b[240] = 12;					/* no option 53 at all */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, 42, 0, 0);		/* unknown type */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	b[244] = 200;					/* option 55 runs past the end */
	memset(b + 245, 1, 55);
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);

	p.len = dhcp_test_msg(b, DHCP_DISCOVER, 0, 0);
	p.len = 242;					/* option 53 cut after its length */
	ck_assert_int_eq(dhcp_parse(&p, &m), -1);
}
END_TEST

/* Build an OFFER, read it back with the test-side parser, then re-parse it as a request. */
START_TEST(test_dhcp_build_round_trip)
{
	static struct conf conf;
	uint8_t b[300], out[600];
	struct pkt p = { b, dhcp_test_msg(b, DHCP_DISCOVER, 0, 0) };
	struct dhcp_msg m, back;
	size_t len, olen;

	dhcp_test_conf(&conf, NULL);
	ck_assert_int_eq(dhcp_parse(&p, &m), 0);
	len = dhcp_build_reply(&conf, &m, DHCP_OFFER, out, sizeof(out));
	ck_assert_uint_ge(len, 300);
	ck_assert_uint_eq(out[0], 2);
	ck_assert_uint_eq(dhcp_get32(out + 4), 0xdeadbeef);
	ck_assert_uint_eq(dhcp_get32(out + 16), H_GUEST);	/* yiaddr */
	ck_assert_mem_eq(out + 28, dhcp_test_mac, 6);
	ck_assert_uint_eq(dhcp_get32(out + 236), 0x63825363);
	ck_assert_uint_eq(dhcp_test_type(out, len), DHCP_OFFER);
	ck_assert_uint_eq(dhcp_test_opt32(out, len, 1), 0xffffff00u);
	ck_assert_uint_eq(dhcp_test_opt32(out, len, 3), H_GW);
	ck_assert_uint_eq(dhcp_test_opt32(out, len, 6), H_DNS);
	ck_assert_uint_eq(dhcp_test_opt32(out, len, 51), 86400);
	ck_assert_uint_eq(dhcp_test_opt32(out, len, 54), H_GW);
	ck_assert_ptr_null(dhcp_test_opt(out, len, 26, &olen));

	/* A server message is not a client's: refused as is... */
	p.data = out;
	p.len = len;
	ck_assert_int_eq(dhcp_parse(&p, &back), -1);
	/* ...but with op set to request, every field comes back. */
	out[0] = 1;
	ck_assert_int_eq(dhcp_parse(&p, &back), 0);
	ck_assert_uint_eq(back.type, DHCP_OFFER);
	ck_assert_uint_eq(back.xid, m.xid);
	ck_assert_uint_eq(back.flags, m.flags);
	ck_assert_mem_eq(back.chaddr, m.chaddr, 6);
	ck_assert_uint_eq(back.server_id, H_GW);

	/* Too small a buffer: 0, nothing claimed. */
	ck_assert_uint_eq(dhcp_build_reply(&conf, &m, DHCP_OFFER, out, 250), 0);

	/* A NAK has no lease. */
	len = dhcp_build_reply(&conf, &m, DHCP_NAK, out, sizeof(out));
	ck_assert_uint_ge(len, 244);
	ck_assert_uint_eq(dhcp_test_type(out, len), DHCP_NAK);
	ck_assert_uint_eq(dhcp_get32(out + 16), 0);
	ck_assert_ptr_null(dhcp_test_opt(out, len, 51, &olen));
}
END_TEST

START_TEST(test_dhcp_build_mtu)
{
	static struct conf conf;
	uint8_t b[300], out[600];
	struct pkt p = { b, dhcp_test_msg(b, DHCP_DISCOVER, 0, 0) };
	struct dhcp_msg m;
	const uint8_t *v;
	size_t len, olen = 0;

	dhcp_test_conf(&conf, "9000");
	ck_assert_int_eq(dhcp_parse(&p, &m), 0);
	len = dhcp_build_reply(&conf, &m, DHCP_ACK, out, sizeof(out));
	v = dhcp_test_opt(out, len, 26, &olen);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(olen, 2);
	ck_assert_uint_eq(v[0] << 8 | v[1], 9000);
}
END_TEST

/* dhcp_test_exchange() - send a client message through the daemon; the reply or NULL. */
static struct hframe *dhcp_test_exchange(struct harness *h, const uint8_t *msg, size_t len)
{
	static struct hframe r;
	uint8_t f[400];
	uint8_t *eth = f;

	len = h_build_udp(h, f, 0, 68, 0xffffffffu, 67, msg, len);
	memset(eth, 0xff, 6);	/* broadcast, as a client without an address sends it */
	h_send(h, f, len);
	if (h_recv(h, &r, 500))
		return NULL;
	return &r;
}

/* dhcp_test_check_reply() - addressing of a server reply frame. */
static void dhcp_test_check_reply(const struct harness *h, const struct hframe *r)
{
	ck_assert(r->is_ip);
	ck_assert_uint_eq(r->proto, 17);
	ck_assert_mem_eq(r->data, dhcp_test_mac, 6);		/* Ethernet destination = chaddr */
	ck_assert_mem_eq(r->data + 6, h->conf.gw_mac, 6);
	ck_assert_uint_eq(r->src, H_GW);
	ck_assert_uint_eq(r->dst, 0xffffffffu);
	ck_assert_uint_eq(r->sport, 67);
	ck_assert_uint_eq(r->dport, 68);
	ck_assert(r->l4_csum_ok);
	ck_assert_ptr_nonnull(r->payload);
	ck_assert_uint_ge(r->payload_len, 240);
	ck_assert_uint_eq(dhcp_get32(r->payload + 4), 0xdeadbeef);
}

START_TEST(test_dhcp_discover_offer)
{
	struct harness *h = h_setup(NULL);
	uint8_t msg[300];
	struct hframe *r = dhcp_test_exchange(h, msg, dhcp_test_msg(msg, DHCP_DISCOVER, 0, 0));
	size_t olen;

	ck_assert_ptr_nonnull(r);
	dhcp_test_check_reply(h, r);
	ck_assert_uint_eq(dhcp_test_type(r->payload, r->payload_len), DHCP_OFFER);
	ck_assert_uint_eq(dhcp_get32(r->payload + 16), H_GUEST);
	ck_assert_uint_eq(dhcp_test_opt32(r->payload, r->payload_len, 1), 0xffffff00u);
	ck_assert_uint_eq(dhcp_test_opt32(r->payload, r->payload_len, 3), H_GW);
	ck_assert_uint_eq(dhcp_test_opt32(r->payload, r->payload_len, 6), H_DNS);
	ck_assert_uint_eq(dhcp_test_opt32(r->payload, r->payload_len, 51), 86400);
	ck_assert_uint_eq(dhcp_test_opt32(r->payload, r->payload_len, 54), H_GW);
	ck_assert_ptr_null(dhcp_test_opt(r->payload, r->payload_len, 26, &olen));
	ck_assert_uint_eq(h_stat(h, STAT_DHCP_REPLIES), 1);
	/* An offer does not assign the address yet. */
	ck_assert_uint_eq(h_guest(h)->addr, 0);
	h_teardown(h);
}
END_TEST

START_TEST(test_dhcp_request_ack)
{
	struct harness *h = h_setup(NULL);
	uint8_t msg[300];
	struct hframe *r = dhcp_test_exchange(h, msg, dhcp_test_msg(msg, DHCP_REQUEST, H_GUEST, 0));

	ck_assert_ptr_nonnull(r);
	dhcp_test_check_reply(h, r);
	ck_assert_uint_eq(dhcp_test_type(r->payload, r->payload_len), DHCP_ACK);
	ck_assert_uint_eq(dhcp_get32(r->payload + 16), H_GUEST);
	ck_assert_uint_eq(dhcp_test_opt32(r->payload, r->payload_len, 51), 86400);
	ck_assert_uint_eq(h_guest(h)->addr, H_GUEST);

	/* Renewing: no option 50, ciaddr set. */
	r = dhcp_test_exchange(h, msg, dhcp_test_msg(msg, DHCP_REQUEST, 0, H_GUEST));
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(dhcp_test_type(r->payload, r->payload_len), DHCP_ACK);
	ck_assert_uint_eq(h_stat(h, STAT_DHCP_REPLIES), 2);
	h_teardown(h);
}
END_TEST

START_TEST(test_dhcp_request_nak)
{
	struct harness *h = h_setup(NULL);
	uint8_t msg[300];
	struct hframe *r = dhcp_test_exchange(h, msg,
					      dhcp_test_msg(msg, DHCP_REQUEST, 0x0a000263u, 0));

	ck_assert_ptr_nonnull(r);
	dhcp_test_check_reply(h, r);
	ck_assert_uint_eq(dhcp_test_type(r->payload, r->payload_len), DHCP_NAK);
	ck_assert_uint_eq(dhcp_get32(r->payload + 16), 0);
	ck_assert_uint_eq(h_guest(h)->addr, 0);
	h_teardown(h);
}
END_TEST

START_TEST(test_dhcp_other_server_ignored)
{
	struct harness *h = h_setup(NULL);
	uint8_t msg[300];
	size_t len = dhcp_test_msg(msg, DHCP_REQUEST, H_GUEST, 0);

	/* Replace the end option with "server id 10.0.2.99". */
	ck_assert_uint_eq(msg[255], 255);
	msg[255] = 54; msg[256] = 4;
	dhcp_put32(msg + 257, 0x0a000263u);
	msg[261] = 255;
	ck_assert_ptr_null(dhcp_test_exchange(h, msg, len));
	ck_assert_uint_eq(h_stat(h, STAT_DHCP_REPLIES), 0);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_DHCP), 0);
	h_teardown(h);
}
END_TEST

START_TEST(test_dhcp_malformed_counted)
{
	struct harness *h = h_setup(NULL);
	uint8_t msg[300];
	size_t len = dhcp_test_msg(msg, DHCP_DISCOVER, 0, 0);

	msg[237] ^= 0xff;	/* cookie */
	ck_assert_ptr_null(dhcp_test_exchange(h, msg, len));
	ck_assert_ptr_null(dhcp_test_exchange(h, msg, 100));
	ck_assert_uint_eq(h_stat(h, STAT_BAD_DHCP), 2);
	ck_assert_uint_eq(h_stat(h, STAT_DHCP_REPLIES), 0);
	h_teardown(h);
}
END_TEST

START_TEST(test_dhcp_mtu_option_through_daemon)
{
	static const char *const args[] = { "--mtu", "4000", NULL };
	struct harness *h = h_setup(args);
	uint8_t msg[300];
	struct hframe *r = dhcp_test_exchange(h, msg, dhcp_test_msg(msg, DHCP_DISCOVER, 0, 0));
	const uint8_t *v;
	size_t olen = 0;

	ck_assert_ptr_nonnull(r);
	v = dhcp_test_opt(r->payload, r->payload_len, 26, &olen);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(olen, 2);
	ck_assert_uint_eq(v[0] << 8 | v[1], 4000);
	h_teardown(h);
}
END_TEST

Suite *dhcp_suite(void);
Suite *dhcp_suite(void)
{
	Suite *s = suite_create("dhcp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dhcp_parse);
	tcase_add_test(tc, test_dhcp_parse_malformed);
	tcase_add_test(tc, test_dhcp_build_round_trip);
	tcase_add_test(tc, test_dhcp_build_mtu);
	tcase_add_test(tc, test_dhcp_discover_offer);
	tcase_add_test(tc, test_dhcp_request_ack);
	tcase_add_test(tc, test_dhcp_request_nak);
	tcase_add_test(tc, test_dhcp_other_server_ignored);
	tcase_add_test(tc, test_dhcp_malformed_counted);
	tcase_add_test(tc, test_dhcp_mtu_option_through_daemon);
	suite_add_tcase(s, tc);
	return s;
}
