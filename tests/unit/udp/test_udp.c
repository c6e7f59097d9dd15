// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* test_udp.c - the UDP relay through the daemon, against real sockets on the host's loopback. */

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "slirpish/flow.h"
#include "slirpish/udp.h"
#include "tests/unit/harness/harness.h"

static struct harness *h;
static struct hframe *r;

static void udp_setup(void)
{
	r = malloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
}

static void udp_teardown(void)
{
	free(r);
}

/* udp_test_recv() - a datagram on a host socket, with its sender. */
static ssize_t udp_test_recv(int fd, void *buf, size_t size, struct sockaddr_in *from)
{
	socklen_t sl = sizeof(*from);

	return recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)from, &sl);
}

/* Guest -> gateway:P reaches 127.0.0.1:P; the reply comes back from gateway:P. */
START_TEST(test_udp_round_trip)
{
	uint16_t port;
	int srv = h_udp_server(&port);
	struct sockaddr_in from, first;
	char buf[64];

	h = h_setup(NULL);
	h_send_udp(h, H_GW, 40000, port, "hello", 5);
	ck_assert_int_eq(h_run_until_readable(h, srv, H_TIMEOUT_MS), 0);
	ck_assert_int_eq(udp_test_recv(srv, buf, sizeof(buf), &from), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), H_LOOPBACK);
	ck_assert_uint_eq(h_stat(h, STAT_UDP_FLOWS), 1);
	ck_assert_uint_eq(flow_count(&h->c), 1);

	ck_assert_int_eq(sendto(srv, "world!", 6, 0, (struct sockaddr *)&from, sizeof(from)), 6);
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert(r->is_ip);
	ck_assert_uint_eq(r->proto, 17);
	ck_assert_mem_eq(r->data, h->mac, 6);
	ck_assert_mem_eq(r->data + 6, h->conf.gw_mac, 6);
	ck_assert_uint_eq(r->src, H_GW);
	ck_assert_uint_eq(r->dst, H_GUEST);
	ck_assert_uint_eq(r->sport, port);
	ck_assert_uint_eq(r->dport, 40000);
	ck_assert(r->l4_csum_ok);
	ck_assert_uint_eq(r->payload_len, 6);
	ck_assert_mem_eq(r->payload, "world!", 6);

	/* A second datagram uses the same flow and host socket. */
	first = from;
	h_send_udp(h, H_GW, 40000, port, "again", 5);
	ck_assert_int_eq(h_run_until_readable(h, srv, H_TIMEOUT_MS), 0);
	ck_assert_int_eq(udp_test_recv(srv, buf, sizeof(buf), &from), 5);
	ck_assert_uint_eq(from.sin_port, first.sin_port);
	ck_assert_uint_eq(h_stat(h, STAT_UDP_FLOWS), 1);

	/* Another guest port is another flow. */
	h_send_udp(h, H_GW, 40001, port, "other", 5);
	ck_assert_int_eq(h_run_until_readable(h, srv, H_TIMEOUT_MS), 0);
	ck_assert_int_eq(udp_test_recv(srv, buf, sizeof(buf), &from), 5);
	ck_assert_uint_ne(from.sin_port, first.sin_port);
	ck_assert_uint_eq(h_stat(h, STAT_UDP_FLOWS), 2);
	ck_assert_uint_eq(flow_count(&h->c), 2);
	h_teardown(h);
	close(srv);
}
END_TEST

START_TEST(test_udp_bad_checksum)
{
	uint16_t port;
	int srv = h_udp_server(&port);
	uint8_t f[128];
	char buf[64];
	struct sockaddr_in from;
	size_t len;

	h = h_setup(NULL);
	len = h_build_udp(h, f, H_GUEST, 40000, H_GW, port, "hello", 5);
	f[34 + 6] ^= 0x55;
	h_send(h, f, len);
	ck_assert_int_eq(h_run_until_readable(h, srv, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4_CSUM), 1);
	ck_assert_uint_eq(flow_count(&h->c), 0);

	/* A zero checksum means "none": delivered. */
	len = h_build_udp(h, f, H_GUEST, 40000, H_GW, port, "nosum", 5);
	f[34 + 6] = f[34 + 7] = 0;
	h_send(h, f, len);
	ck_assert_int_eq(h_run_until_readable(h, srv, H_TIMEOUT_MS), 0);
	ck_assert_int_eq(udp_test_recv(srv, buf, sizeof(buf), &from), 5);
	ck_assert_mem_eq(buf, "nosum", 5);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4_CSUM), 1);
	h_teardown(h);
	close(srv);
}
END_TEST

START_TEST(test_udp_bad_length)
{
	uint16_t port;
	int srv = h_udp_server(&port);
	uint8_t f[128];
	size_t len;

	h = h_setup(NULL);
	len = h_build_udp(h, f, H_GUEST, 40000, H_GW, port, "hello", 5);
	f[34 + 5] = 14;		/* UDP length 14 > 13 bytes of IP payload */
	h_send(h, f, len);
	len = h_build_udp(h, f, H_GUEST, 40000, H_GW, port, "hello", 5);
	f[34 + 5] = 7;		/* shorter than the UDP header */
	h_send(h, f, len);
	len = h_build_ip4(h, f, 17, H_GUEST, H_GW, "abcd", 4);	/* 4 bytes: no header */
	h_send(h, f, len);
	ck_assert_int_eq(h_run_until_readable(h, srv, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_L4), 3);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
	close(srv);
}
END_TEST

START_TEST(test_udp_idle_expiry)
{
	static const char *const args[] = { "--udp-idle-timeout", "1", NULL };
	uint16_t port;
	int srv = h_udp_server(&port);

	h = h_setup(args);
	h_send_udp(h, H_GW, 40000, port, "x", 1);
	ck_assert_int_eq(h_run_until_readable(h, srv, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(flow_count(&h->c), 1);
	h_run_for(h, 500);
	ck_assert_uint_eq(flow_count(&h->c), 1);	/* not yet */
	h_run_for(h, 1000);
	ck_assert_uint_eq(flow_count(&h->c), 0);	/* expired and swept */
	h_teardown(h);
	close(srv);
}
END_TEST

/* Nothing listens on the port: the host's refusal becomes an ICMP port unreachable. */
START_TEST(test_udp_refused)
{
	uint16_t port;
	int srv = h_udp_server(&port);
	const uint8_t *q;

	close(srv);	/* the port is now (almost certainly) closed */
	h = h_setup(NULL);
	h_send_udp(h, H_GW, 40000, port, "anyone?", 7);
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert(r->is_ip);
	ck_assert_uint_eq(r->proto, 1);
	ck_assert(r->l4_csum_ok);
	ck_assert_uint_eq(r->src, H_GW);
	ck_assert_uint_eq(r->dst, H_GUEST);
	ck_assert_uint_eq(r->l4[0], 3);		/* destination unreachable */
	ck_assert_uint_eq(r->l4[1], 3);		/* port unreachable */
	ck_assert_uint_ge(r->l4_len, 8 + 20 + 8);
	q = r->l4 + 8;				/* the quoted packet */
	ck_assert_uint_eq(q[0], 0x45);
	ck_assert_uint_eq(q[9], 17);
	ck_assert_uint_eq((uint32_t)q[12] << 24 | q[13] << 16 | q[14] << 8 | q[15], H_GUEST);
	ck_assert_uint_eq((uint32_t)q[16] << 24 | q[17] << 16 | q[18] << 8 | q[19], H_GW);
	ck_assert_uint_eq(q[20] << 8 | q[21], 40000);
	ck_assert_uint_eq(q[22] << 8 | q[23], port);
	h_teardown(h);
}
END_TEST

/* A destination no host socket may reach: counted, and the gateway says so. */
START_TEST(test_udp_unreachable_dest)
{
	h = h_setup(NULL);
	h_send_udp(h, 0x0a000263u, 40000, 9, "x", 1);	/* 10.0.2.99: nobody */
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_DEST), 1);
	ck_assert_uint_eq(r->proto, 1);
	ck_assert(r->l4_csum_ok);
	ck_assert_uint_eq(r->l4[0], 3);
	ck_assert_uint_eq(r->src, H_GW);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
}
END_TEST

/* Broadcasts and multicast are neither relayed nor answered with errors. */
START_TEST(test_udp_broadcast_silent)
{
	h = h_setup(NULL);
	h_send_udp(h, 0x0a0002ffu, 40000, 137, "netbios", 7);	/* 10.0.2.255 */
	h_send_udp(h, 0xffffffffu, 40000, 9, "bcast", 5);
	h_send_udp(h, 0xe00000fbu, 5353, 5353, "mdns", 4);	/* 224.0.0.251 */
	ck_assert_int_eq(h_recv(h, r, 200), -1);
	ck_assert_uint_eq(h_stat(h, STAT_BAD_DEST), 0);
	ck_assert_uint_eq(h_stat(h, STAT_UDP_FLOWS), 0);
	ck_assert_uint_eq(flow_count(&h->c), 0);
	h_teardown(h);
}
END_TEST

/*
 * Random datagrams to the DHCP server and the DNS address, valid up to the
 * UDP header, then random bytes in the IP and UDP headers themselves: the
 * daemon survives them all and still answers.
 */
START_TEST(test_udp_random_garbage)
{
	uint8_t f[700], p[600];
	unsigned i, j;
	size_t len;

	h = h_setup(NULL);
	srand(4242);
	for (i = 0; i < 3000; i++) {
		size_t plen = (size_t)rand() % sizeof(p);

		for (j = 0; j < plen; j++)
			p[j] = (uint8_t)rand();
		if (i % 3 == 0 && plen > 240) {	/* a DHCP message with random options */
			p[0] = 1; p[1] = 1; p[2] = 6;
			p[236] = 99; p[237] = 130; p[238] = 83; p[239] = 99;
		}
		if (i % 3 == 1 && plen > 12)	/* a DNS query header with random questions */
			p[2] &= 0x7f;
		len = h_build_udp(h, f, i % 2 ? 0 : H_GUEST, 68, i % 3 == 1 ? H_DNS : 0xffffffffu,
				  i % 3 == 1 ? 53 : 67, p, plen);
		if (i % 5 == 4)			/* scramble the UDP header, then the IP header */
			f[34 + rand() % 8] = (uint8_t)rand();
		if (i % 7 == 6)
			f[14 + rand() % 20] = (uint8_t)rand();
		h_send(h, f, len - (i % 11 == 10 ? (size_t)rand() % len : 0));
		if (i % 100 == 99)
			h_run_for(h, 1);
	}
	h_run_for(h, 50);
	ck_assert_uint_eq(h_stat(h, STAT_RX_FRAMES), 3000);
	ck_assert_uint_gt(h_stat(h, STAT_BAD_DHCP), 0);
	ck_assert_uint_gt(h_stat(h, STAT_BAD_DNS), 0);
	ck_assert_uint_gt(h_stat(h, STAT_BAD_L4_CSUM), 0);
	/* Still alive and answering. */
	while (h_recv(h, r, 1) == 0)
		;
	h_send(h, f, h_build_arp_request(h, f, H_GUEST, H_GW));
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(r->eth_type, 0x0806);
	h_teardown(h);
}
END_TEST

/* A -u port map: a host client's datagram reaches the guest from the gateway, and back. */
START_TEST(test_udp_port_map)
{
	uint16_t cport, mport;
	int client = h_udp_server(&cport), map = h_udp_server(&mport);
	struct sockaddr_in caddr = { .sin_family = AF_INET }, from;
	char buf[64];

	caddr.sin_addr.s_addr = htonl(H_LOOPBACK);
	caddr.sin_port = htons(cport);
	h = h_setup(NULL);
	/* No address learnt yet: the datagram goes to the address DHCP hands
	 * out, so a statically configured guest is reachable before it speaks. */
	udp_map_input(&h->c, map, 5353, (const uint8_t *)"early", 5, &caddr);
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(r->dst, H_GUEST);
	ck_assert_uint_eq(r->dport, 5353);
	ck_assert_mem_eq(r->payload, "early", 5);
	h_guest(h)->addr = H_GUEST;

	udp_map_input(&h->c, map, 5353, (const uint8_t *)"ping", 4, &caddr);
	ck_assert_int_eq(h_recv(h, r, H_TIMEOUT_MS), 0);
	ck_assert_uint_eq(r->proto, 17);
	ck_assert(r->l4_csum_ok);
	ck_assert_uint_eq(r->src, H_GW);
	ck_assert_uint_eq(r->sport, cport);
	ck_assert_uint_eq(r->dst, H_GUEST);
	ck_assert_uint_eq(r->dport, 5353);
	ck_assert_uint_eq(r->payload_len, 4);
	ck_assert_mem_eq(r->payload, "ping", 4);
	ck_assert_uint_eq(flow_count(&h->c), 1);

	/* The guest answers gateway:<client port>: the client gets it from the map's socket. */
	h_send_udp(h, H_GW, 5353, cport, "pong", 4);
	ck_assert_int_eq(h_run_until_readable(h, client, H_TIMEOUT_MS), 0);
	ck_assert_int_eq(udp_test_recv(client, buf, sizeof(buf), &from), 4);
	ck_assert_mem_eq(buf, "pong", 4);
	ck_assert_uint_eq(ntohs(from.sin_port), mport);
	ck_assert_uint_eq(flow_count(&h->c), 1);
	h_teardown(h);
	close(client);
	close(map);
}
END_TEST

Suite *udp_suite(void);
Suite *udp_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, udp_setup, udp_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_udp_round_trip);
	tcase_add_test(tc, test_udp_bad_checksum);
	tcase_add_test(tc, test_udp_bad_length);
	tcase_add_test(tc, test_udp_idle_expiry);
	tcase_add_test(tc, test_udp_refused);
	tcase_add_test(tc, test_udp_unreachable_dest);
	tcase_add_test(tc, test_udp_broadcast_silent);
	tcase_add_test(tc, test_udp_port_map);
	tcase_add_test(tc, test_udp_random_garbage);
	suite_add_tcase(s, tc);
	return s;
}
