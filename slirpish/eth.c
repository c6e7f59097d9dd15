// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* eth.c - Ethernet: check a guest's frame, learn its MAC, hand the payload on. */

#include "config.h"

#include <string.h>

#include "slirpish/arp.h"
#include "slirpish/eth.h"
#include "slirpish/ip4.h"

const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/**
 * eth_fill() - write an Ethernet header
 * @frame:	at least ETH_HLEN bytes
 * @dst:	destination MAC
 * @src:	source MAC
 * @type:	ethertype, host order
 */
void eth_fill(uint8_t *frame, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(frame, dst, ETH_ALEN);
	memcpy(frame + ETH_ALEN, src, ETH_ALEN);
	wr16(frame + 2 * ETH_ALEN, type);
}

/**
 * eth_input() - one frame from a guest
 * @g:		guest
 * @frame:	frame bytes (untrusted)
 * @len:	frame length
 */
void eth_input(struct guest *g, const uint8_t *frame, size_t len)
{
	struct pkt p = { frame, len }, payload;
	const uint8_t *src;

	if (pkt_sub(&p, ETH_HLEN, len >= ETH_HLEN ? len - ETH_HLEN : 0, &payload) ||
	    len < ETH_HLEN) {
		STAT_INC(&g->c->stats, BAD_ETH);
		return;
	}
	/* Learn the guest's MAC from any unicast source address. */
	src = frame + ETH_ALEN;
	if (!(src[0] & 1) && memcmp(src, g->mac, ETH_ALEN)) {
		memcpy(g->mac, src, ETH_ALEN);
		g->mac_known = 1;
	}
	switch (rd16(frame + 2 * ETH_ALEN)) {
	case ETH_P_IP:
		ip4_input(g, &payload);
		break;
	case ETH_P_ARP:
		arp_input(g, &payload);
		break;
	default:
		/* IPv6 and the rest: not ours (yet).  Counted, dropped. */
		STAT_INC(&g->c->stats, BAD_ETHERTYPE);
	}
}
