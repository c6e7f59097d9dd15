// SPDX-License-Identifier: GPL-2.0-or-later
/* Copyright (c) 2026 The ulvm authors */
/* arp.c - ARP: every address of the virtual network but the guest's own answers with the gateway MAC. */

#include "config.h"

#include <string.h>

#include "slirpish/arp.h"
#include "slirpish/eth.h"
#include "slirpish/util.h"

#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* arp_answers_for() - does slirpish own @addr on @g's network? */
static int arp_answers_for(const struct guest *g, uint32_t addr)
{
	const struct conf *conf = g->c->conf;
	uint32_t mask = conf_netmask(conf);

	/* Every other host of the virtual network is slirpish: the guest may
	 * talk to any of them (as with QEMU, only a few are special). */
	if ((addr & mask) != conf->net || addr == conf->net || addr == (conf->net | ~mask))
		return 0;
	return addr != g->addr && addr != conf->guest_addr;
}

/**
 * arp_input() - answer an ARP request from a guest
 * @g:		guest
 * @p:		ARP packet (untrusted)
 */
void arp_input(struct guest *g, const struct pkt *p)
{
	const uint8_t *a = pkt_get(p, 0, ARP_LEN);
	uint32_t sip, tip;
	uint8_t *f;

	/* Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4. */
	if (!a || rd16(a) != 1 || rd16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4) {
		STAT_INC(&g->c->stats, BAD_ARP);
		return;
	}
	if (rd16(a + 6) != ARP_OP_REQUEST)
		return;
	sip = rd32(a + 14);
	tip = rd32(a + 24);
	if (!arp_answers_for(g, tip) || tip == sip)
		return; /* gratuitous ARP, or not ours */
	f = guest_frame_alloc(g, ETH_HLEN + ARP_LEN);
	if (!f)
		return;
	eth_fill(f, a + 8, g->c->conf->gw_mac, ETH_P_ARP);
	memcpy(f + ETH_HLEN, a, 6);
	wr16(f + ETH_HLEN + 6, ARP_OP_REPLY);
	memcpy(f + ETH_HLEN + 8, g->c->conf->gw_mac, ETH_ALEN);
	wr32(f + ETH_HLEN + 14, tip);
	memcpy(f + ETH_HLEN + 18, a + 8, ETH_ALEN);
	wr32(f + ETH_HLEN + 24, sip);
	guest_frame_commit(g, f, ETH_HLEN + ARP_LEN);
	STAT_INC(&g->c->stats, ARP_REPLIES);
}
