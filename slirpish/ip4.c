// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* ip4.c - IPv4: validate guest packets, learn the guest's address, dispatch; build packets to guests. */

#include "config.h"

#include <string.h>

#include "slirpish/csum.h"
#include "slirpish/eth.h"
#include "slirpish/icmp.h"
#include "slirpish/ip4.h"
#include "slirpish/log.h"
#include "slirpish/tcp.h"
#include "slirpish/udp.h"

#define IP4_FLAG_DF 0x4000
#define IP4_FLAG_MF 0x2000
#define IP4_FRAG_MASK 0x1fff
#define IP4_TTL 64

/**
 * ip4_parse() - validate an IPv4 packet and give its fields
 * @p:		packet (untrusted), possibly followed by link padding
 * @ip:		result
 * @why:	on failure, the counter that says why
 *
 * Return: 0, or -1 when the packet must be dropped.
 */
int ip4_parse(const struct pkt *p, struct ip4_hdr *ip, enum stat_id *why)
{
	const uint8_t *h = pkt_get(p, 0, IP4_HLEN);
	size_t hlen, tot;

	*why = STAT_BAD_IP;
	if (!h || (h[0] >> 4) != 4)
		return -1;
	hlen = (size_t)(h[0] & 0xf) * 4;
	tot = rd16(h + 2);
	if (hlen < IP4_HLEN || tot < hlen || tot > p->len || !pkt_get(p, 0, hlen))
		return -1;
	if (csum_fold(csum_partial(h, hlen, 0))) {
		*why = STAT_BAD_IP_CSUM;
		return -1;
	}
	if (rd16(h + 6) & (IP4_FLAG_MF | IP4_FRAG_MASK)) {
		*why = STAT_IP_FRAGMENT;
		return -1;
	}
	ip->tos = h[1];
	ip->csum_ok = 0;
	ip->ttl = h[8];
	ip->proto = h[9];
	ip->src = rd32(h + 12);
	ip->dst = rd32(h + 16);
	ip->l4.data = h + hlen;
	ip->l4.len = tot - hlen;
	return 0;
}

/* ip4_learn_addr() - remember the guest's address from a packet's source. */
static void ip4_learn_addr(struct guest *g, uint32_t src)
{
	const struct conf *conf = g->c->conf;
	uint32_t mask = conf_netmask(conf);

	if (src == g->addr || (src & mask) != conf->net || src == conf->gw || src == conf->dns ||
	    (src & ~mask) == 0 || (src & ~mask) == ~mask)
		return;
	if (g->addr)
		info("guest %u: address changed to %u.%u.%u.%u", g->id, src >> 24,
		     (src >> 16) & 0xff, (src >> 8) & 0xff, src & 0xff);
	g->addr = src;
}

/**
 * ip4_input() - one IPv4 packet from a guest
 * @g:		guest
 * @p:		packet (untrusted)
 */
void ip4_input(struct guest *g, const struct pkt *p)
{
	struct ip4_hdr ip;
	enum stat_id why;

	if (ip4_parse(p, &ip, &why)) {
		g->c->stats.v[why]++;
		return;
	}
	ip.csum_ok = (uint8_t)g->rx_csum_ok;
	ip4_learn_addr(g, ip.src);
	switch (ip.proto) {
	case IP4_PROTO_TCP:
		tcp_input(g, &ip);
		break;
	case IP4_PROTO_UDP:
		udp_input(g, &ip);
		break;
	case IP4_PROTO_ICMP:
		icmp_input(g, &ip);
		break;
	default:
		STAT_INC(&g->c->stats, BAD_PROTO);
	}
}

/**
 * ip4_fill() - write an IPv4 header (no options, DF set, checksum computed)
 * @hdr:	IP4_HLEN bytes
 * @proto:	protocol
 * @src:	source, host order
 * @dst:	destination, host order
 * @l4_len:	payload length (the caller keeps the total within 65535)
 *
 * Return: header length.
 */
size_t ip4_fill(uint8_t *hdr, uint8_t proto, uint32_t src, uint32_t dst, size_t l4_len)
{
	return ip4_fill_frag(hdr, proto, src, dst, l4_len, 0, IP4_FLAG_DF);
}

/**
 * ip4_fill_frag() - write an IPv4 header with a given id and fragment field
 * @hdr:	IP4_HLEN bytes
 * @proto:	protocol
 * @src:	source, host order
 * @dst:	destination, host order
 * @len:	payload length of this packet (or fragment)
 * @id:		identification
 * @frag:	flags and fragment offset field (IP4_FLAG_*, offset / 8)
 *
 * Return: header length.
 */
size_t ip4_fill_frag(uint8_t *hdr, uint8_t proto, uint32_t src, uint32_t dst, size_t len,
		     uint16_t id, uint16_t frag)
{
	size_t l4_len = len;

	hdr[0] = 0x45;
	hdr[1] = 0;
	wr16(hdr + 2, (uint16_t)(IP4_HLEN + l4_len));
	wr16(hdr + 4, id);
	wr16(hdr + 6, frag);
	hdr[8] = IP4_TTL;
	hdr[9] = proto;
	wr16(hdr + 10, 0);
	wr32(hdr + 12, src);
	wr32(hdr + 16, dst);
	wr16(hdr + 10, csum_fold(csum_partial(hdr, IP4_HLEN, 0)));
	return IP4_HLEN;
}

/**
 * ip4_send_fragments() - send a datagram too large for the guest's link in fragments
 * @g:		guest
 * @proto:	protocol
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @l4:		the whole layer-4 datagram (header, checksum filled in, payload)
 * @l4_len:	its length, at most 65515
 *
 * As a router would: fragments of at most the link's MTU, offsets in
 * units of eight bytes, the guest reassembles.  Stops at the first frame
 * the link's buffer cannot take (counted there).
 */
void ip4_send_fragments(struct guest *g, uint8_t proto, uint32_t src, uint32_t dst,
			const uint8_t *l4, size_t l4_len)
{
	size_t chunk = ((size_t)MAX(g->mtu, 576u) - IP4_HLEN) & ~(size_t)7, off;
	uint16_t id = g->c->ip4_id++;

	for (off = 0; off < l4_len; off += chunk) {
		size_t n = MIN(chunk, l4_len - off);
		uint16_t frag = (uint16_t)(off / 8) | (off + n < l4_len ? IP4_FLAG_MF : 0);
		uint8_t *f = ip4_frame_alloc(g, n);

		if (!f)
			return;
		memcpy(f + IP4_L4_OFF, l4 + off, n);
		eth_fill(f, g->mac_known ? g->mac : eth_broadcast, g->c->conf->gw_mac, ETH_P_IP);
		ip4_fill_frag(f + ETH_HLEN, proto, src, dst, n, id, frag);
		guest_frame_commit(g, f, IP4_L4_OFF + n);
	}
}

/**
 * ip4_frame_alloc() - reserve a frame for an IPv4 packet to a guest
 * @g:		guest
 * @l4_len:	largest layer-4 length (header and payload)
 *
 * Return: the frame; its layer-4 part starts at IP4_L4_OFF.  NULL when the
 * link's buffer is full (counted).
 */
uint8_t *ip4_frame_alloc(struct guest *g, size_t l4_len)
{
	return guest_frame_alloc(g, IP4_L4_OFF + l4_len);
}

/**
 * ip4_frame_send() - finish and queue a frame from ip4_frame_alloc()
 * @g:		guest
 * @frame:	the frame, layer-4 part filled in
 * @proto:	protocol
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @l4_len:	final layer-4 length
 */
void ip4_frame_send(struct guest *g, uint8_t *frame, uint8_t proto, uint32_t src,
		    uint32_t dst, size_t l4_len)
{
	eth_fill(frame, g->mac_known ? g->mac : eth_broadcast, g->c->conf->gw_mac, ETH_P_IP);
	ip4_fill(frame + ETH_HLEN, proto, src, dst, l4_len);
	guest_frame_commit(g, frame, IP4_L4_OFF + l4_len);
}
