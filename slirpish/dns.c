// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* dns.c - the virtual DNS server's checks: sane queries only, and the host's resolvers. */

/*
 * Theory of operation
 *
 * slirpish does not resolve names: a query to the virtual DNS address is
 * relayed as any other UDP datagram (udp.c), to the first host resolver
 * (nat.c).  This file only decides whether a guest's datagram looks like a
 * DNS query at all (so that junk is not thrown at the host's resolver), and
 * reads the resolvers from a resolv.conf file at start-up.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "slirpish/dns.h"
#include "slirpish/util.h"

#define DNS_HLEN 12
#define DNS_NAME_MAX 255
/* Most compression pointers followed in one name: each must point backwards. */
#define DNS_PTR_MAX 32

/**
 * dns_name_skip() - walk one (possibly compressed) domain name
 * @p:		the whole DNS message
 * @off:	offset of the name
 * @end:	set to the offset just after the name as written at @off
 *
 * Labels must lie inside the message; a compression pointer must point
 * strictly before the label that holds it, so loops are impossible; the
 * expanded name is at most 255 bytes.
 *
 * Return: 0, or -1 when the name is malformed.
 */
static int dns_name_skip(const struct pkt *p, size_t off, size_t *end)
{
	size_t name_len = 0, cur = off;
	unsigned ptrs = 0;
	int jumped = 0;

	for (;;) {
		const uint8_t *b = pkt_get(p, cur, 1);

		if (!b)
			return -1;
		if ((b[0] & 0xc0) == 0xc0) {
			const uint8_t *b2 = pkt_get(p, cur, 2);
			size_t target;

			if (!b2)
				return -1;
			target = (size_t)((b2[0] & 0x3f) << 8 | b2[1]);
			if (target >= cur || ++ptrs > DNS_PTR_MAX)
				return -1;
			if (!jumped)
				*end = cur + 2;
			jumped = 1;
			cur = target;
			continue;
		}
		if (b[0] & 0xc0)	/* 01 and 10: reserved label types */
			return -1;
		if (b[0] == 0) {
			if (!jumped)
				*end = cur + 1;
			return name_len + 1 <= DNS_NAME_MAX ? 0 : -1;
		}
		if (!pkt_get(p, cur + 1, b[0]))
			return -1;
		name_len += (size_t)b[0] + 1;
		if (name_len > DNS_NAME_MAX)
			return -1;
		cur += (size_t)b[0] + 1;
	}
}

/**
 * dns_query_check() - is this datagram a well-formed DNS query?
 * @p:		UDP payload from the guest
 *
 * Checks the header, that it is a query (QR clear) with at least one
 * question, and that every question's name and type/class lie inside the
 * datagram.  Answer/authority/additional sections (EDNS OPT) are not parsed.
 *
 * Return: 0 when acceptable, -1 otherwise.
 */
int dns_query_check(const struct pkt *p)
{
	const uint8_t *h = pkt_get(p, 0, DNS_HLEN);
	unsigned qd, i;
	size_t off = DNS_HLEN, end = 0;

	if (!h)
		return -1;
	if (h[2] & 0x80)	/* QR: a response, not a query */
		return -1;
	qd = rd16(h + 4);
	if (qd == 0)
		return -1;
	for (i = 0; i < qd; i++) {
		if (dns_name_skip(p, off, &end))
			return -1;
		if (!pkt_get(p, end, 4))	/* QTYPE, QCLASS */
			return -1;
		off = end + 4;
	}
	return 0;
}

/**
 * dns_resolvers_load() - read the IPv4 nameservers of a resolv.conf file
 * @path:	file, usually /etc/resolv.conf
 * @out:	addresses, host order
 * @max:	room in @out; further nameservers are ignored
 *
 * Lines are "nameserver ADDR"; comments (# or ;), other keywords and IPv6
 * nameservers are skipped.
 *
 * Return: number of addresses stored (possibly 0), or -errno when @path
 * cannot be read.
 */
int dns_resolvers_load(const char *path, uint32_t *out, unsigned max)
{
	char line[512];
	unsigned n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *addr, *e;
		struct in_addr a;

		while (isspace((unsigned char)*s))
			s++;
		if (strncmp(s, "nameserver", 10) || !isspace((unsigned char)s[10]))
			continue;
		addr = s + 10;
		while (isspace((unsigned char)*addr))
			addr++;
		for (e = addr; *e && !isspace((unsigned char)*e) && *e != '#' && *e != ';'; e++)
			;
		*e = 0;
		if (inet_pton(AF_INET, addr, &a) != 1)
			continue;	/* IPv6 or junk */
		if (n < max)
			out[n++] = ntohl(a.s_addr);
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		fclose(f);
		return -e;
	}
	fclose(f);
	return (int)n;
}
