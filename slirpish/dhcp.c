// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* dhcp.c - the DHCP server: one lease per guest link, QEMU's defaults. */

/*
 * Theory of operation
 *
 * Every guest link is its own network with a single lease: conf->guest_addr.
 * DISCOVER is answered with OFFER; REQUEST for that address (option 50, or
 * ciaddr when renewing) with ACK, which also tells slirpish the guest's
 * address; a REQUEST for anything else with NAK; a REQUEST naming another
 * server (option 54) is ignored.  Replies come from gateway:67 and go to
 * 255.255.255.255:68, Ethernet destination chaddr.  There is no lease state:
 * the lease is 86400 s and renewals are simply ACKed.
 *
 * Message layout (RFC 2131): a 236-byte BOOTP fixed part, the magic cookie
 * 99.130.83.99, then options (code, length, value; 0 is pad, 255 is end).
 */

#include <string.h>

#include "slirpish/csum.h"
#include "slirpish/dhcp.h"
#include "slirpish/eth.h"
#include "slirpish/log.h"
#include "slirpish/udp.h"

#define DHCP_FIXED_LEN 236
#define DHCP_COOKIE 0x63825363u
#define DHCP_OPT_OFF (DHCP_FIXED_LEN + 4)
/* BOOTP's minimum message (RFC 1542): some clients drop shorter replies. */
#define DHCP_MIN_LEN 300
#define DHCP_LEASE_S 86400u

#define BOOTP_REQUEST 1
#define BOOTP_REPLY 2

enum dhcp_opt {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_MTU = 26,
	DHCP_OPT_REQ_ADDR = 50,
	DHCP_OPT_LEASE = 51,
	DHCP_OPT_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_END = 255,
};

/**
 * dhcp_parse() - parse a client's DHCP message
 * @p:		UDP payload
 * @m:		result
 *
 * Return: 0, or -1 when the message is malformed: short fixed part, not a
 * BOOTREQUEST over Ethernet, bad cookie, an option running past the end,
 * a known option of the wrong size, no or an unknown message type.
 */
int dhcp_parse(const struct pkt *p, struct dhcp_msg *m)
{
	const uint8_t *h = pkt_get(p, 0, DHCP_OPT_OFF);
	size_t off = DHCP_OPT_OFF;

	if (!h)
		return -1;
	if (h[0] != BOOTP_REQUEST || h[1] != 1 || h[2] != ETH_ALEN)
		return -1;
	if (rd32(h + DHCP_FIXED_LEN) != DHCP_COOKIE)
		return -1;
	memset(m, 0, sizeof(*m));
	m->xid = rd32(h + 4);
	m->flags = rd16(h + 10);
	m->ciaddr = rd32(h + 12);
	memcpy(m->chaddr, h + 28, ETH_ALEN);

	for (;;) {
		const uint8_t *o = pkt_get(p, off, 1), *v;
		uint8_t code, len;

		if (!o)
			break;		/* no end option: tolerated */
		code = o[0];
		if (code == DHCP_OPT_END)
			break;
		if (code == DHCP_OPT_PAD) {
			off++;
			continue;
		}
		o = pkt_get(p, off + 1, 1);
		if (!o)
			return -1;
		len = o[0];
		v = pkt_get(p, off + 2, len);
		if (!v)
			return -1;
		switch (code) {
		case DHCP_OPT_TYPE:
			if (len != 1)
				return -1;
			m->type = v[0];
			break;
		case DHCP_OPT_REQ_ADDR:
			if (len != 4)
				return -1;
			m->req_addr = rd32(v);
			break;
		case DHCP_OPT_SERVER_ID:
			if (len != 4)
				return -1;
			m->server_id = rd32(v);
			break;
		default:
			break;
		}
		off += 2 + (size_t)len;
	}
	if (m->type < DHCP_DISCOVER || m->type > DHCP_INFORM)
		return -1;
	return 0;
}

/* dhcp_opt_put() - append one option if it fits; returns the new offset or 0. */
static size_t dhcp_opt_put(uint8_t *buf, size_t size, size_t off, uint8_t code,
			   const void *val, uint8_t len)
{
	if (!off || off + 2 + len > size)
		return 0;
	buf[off] = code;
	buf[off + 1] = len;
	memcpy(buf + off + 2, val, len);
	return off + 2 + len;
}

/* dhcp_opt_put32() - append an option holding one 32-bit value. */
static size_t dhcp_opt_put32(uint8_t *buf, size_t size, size_t off, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	wr32(b, v);
	return dhcp_opt_put(buf, size, off, code, b, 4);
}

/**
 * dhcp_build_reply() - write an OFFER, ACK or NAK answering @req
 * @conf:	configuration (addresses, MTU)
 * @req:	the client's message
 * @type:	DHCP_OFFER, DHCP_ACK or DHCP_NAK
 * @buf:	output (the UDP payload)
 * @size:	room in @buf; DHCP_MIN_LEN (300) is always enough
 *
 * OFFER and ACK carry yiaddr = conf->guest_addr and options 53, 54, 51, 1,
 * 3, 6 and 26 (only when the MTU is not 1500); NAK carries 53 and 54.
 * Short messages are zero-padded to 300 bytes.
 *
 * Return: length written, or 0 when @buf is too small.
 */
size_t dhcp_build_reply(const struct conf *conf, const struct dhcp_msg *req, uint8_t type,
			uint8_t *buf, size_t size)
{
	size_t off = DHCP_OPT_OFF, len;
	int lease = type != DHCP_NAK;

	if (size < DHCP_OPT_OFF)
		return 0;
	memset(buf, 0, DHCP_OPT_OFF);
	buf[0] = BOOTP_REPLY;
	buf[1] = 1;
	buf[2] = ETH_ALEN;
	wr32(buf + 4, req->xid);
	wr16(buf + 10, req->flags);
	if (lease) {
		wr32(buf + 16, conf->guest_addr);	/* yiaddr */
		wr32(buf + 20, conf->gw);		/* siaddr */
	}
	memcpy(buf + 28, req->chaddr, ETH_ALEN);
	wr32(buf + DHCP_FIXED_LEN, DHCP_COOKIE);

	off = dhcp_opt_put(buf, size, off, DHCP_OPT_TYPE, &type, 1);
	off = dhcp_opt_put32(buf, size, off, DHCP_OPT_SERVER_ID, conf->gw);
	if (lease) {
		off = dhcp_opt_put32(buf, size, off, DHCP_OPT_LEASE, DHCP_LEASE_S);
		off = dhcp_opt_put32(buf, size, off, DHCP_OPT_MASK, conf_netmask(conf));
		off = dhcp_opt_put32(buf, size, off, DHCP_OPT_ROUTER, conf->gw);
		off = dhcp_opt_put32(buf, size, off, DHCP_OPT_DNS, conf->dns);
		if (conf->mtu != 1500) {
			uint8_t mtu[2];

			wr16(mtu, (uint16_t)conf->mtu);
			off = dhcp_opt_put(buf, size, off, DHCP_OPT_MTU, mtu, 2);
		}
	}
	if (!off || off >= size)
		return 0;
	buf[off++] = DHCP_OPT_END;
	len = MAX(off, (size_t)DHCP_MIN_LEN);
	if (len > size)
		return 0;
	memset(buf + off, 0, len - off);
	return len;
}

/**
 * dhcp_send() - send a reply from gateway:67 to 255.255.255.255:68
 * @g:		guest link
 * @req:	the client's message (its chaddr is the Ethernet destination)
 * @type:	reply type
 */
static void dhcp_send(struct guest *g, const struct dhcp_msg *req, uint8_t type)
{
	const struct conf *conf = g->c->conf;
	uint8_t msg[DHCP_MIN_LEN + 64];
	size_t len = dhcp_build_reply(conf, req, type, msg, sizeof(msg));
	size_t l4_len = UDP_HLEN + len, flen = ETH_HLEN + IP4_HLEN + l4_len;
	uint8_t *f, *u;
	uint16_t sum;

	if (!len)
		return;
	f = guest_frame_alloc(g, flen);
	if (!f)
		return;
	eth_fill(f, req->chaddr, conf->gw_mac, ETH_P_IP);
	ip4_fill(f + ETH_HLEN, IP4_PROTO_UDP, conf->gw, INADDR_BROADCAST, l4_len);
	u = f + ETH_HLEN + IP4_HLEN;
	wr16(u, DHCP_SERVER_PORT);
	wr16(u + 2, DHCP_CLIENT_PORT);
	wr16(u + 4, (uint16_t)l4_len);
	wr16(u + 6, 0);
	memcpy(u + UDP_HLEN, msg, len);
	sum = csum_l4(conf->gw, INADDR_BROADCAST, IP4_PROTO_UDP, u, l4_len);
	wr16(u + 6, sum ? sum : 0xffff);
	guest_frame_commit(g, f, flen);
	STAT_INC(&g->c->stats, DHCP_REPLIES);
}

/**
 * dhcp_input() - answer a client's message sent to port 67
 * @g:		guest link
 * @ip:		the IPv4 packet
 * @payload:	UDP payload
 */
void dhcp_input(struct guest *g, const struct ip4_hdr *ip, const struct pkt *payload)
{
	const struct conf *conf = g->c->conf;
	struct dhcp_msg m;
	uint32_t want;

	if (dhcp_parse(payload, &m)) {
		STAT_INC(&g->c->stats, BAD_DHCP);
		debug("guest %u: malformed DHCP message dropped", g->id);
		return;
	}
	switch (m.type) {
	case DHCP_DISCOVER:
		dhcp_send(g, &m, DHCP_OFFER);
		break;
	case DHCP_REQUEST:
		if (m.server_id && m.server_id != conf->gw)
			break;		/* the client chose another server */
		want = m.req_addr ? m.req_addr : m.ciaddr;
		if (want == conf->guest_addr) {
			dhcp_send(g, &m, DHCP_ACK);
			if (g->addr != want)
				info("guest %u: DHCP lease of %u.%u.%u.%u", g->id,
				     want >> 24, (want >> 16) & 0xff, (want >> 8) & 0xff,
				     want & 0xff);
			g->addr = want;
		} else {
			dhcp_send(g, &m, DHCP_NAK);
		}
		break;
	default:
		debug("guest %u: DHCP message type %u ignored", g->id, m.type);
		break;
	}
}
