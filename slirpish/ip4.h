/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* ip4.h - IPv4: validate guest packets, dispatch by protocol, build packets toward guests. */
#ifndef SLIRPISH_IP4_H
#define SLIRPISH_IP4_H

#include <stdint.h>

#include "slirpish/guest.h"
#include "slirpish/pkt.h"

#define IP4_HLEN 20
#define IP4_PROTO_ICMP 1
#define IP4_PROTO_TCP 6
#define IP4_PROTO_UDP 17

/**
 * struct ip4_hdr - a validated IPv4 packet from a guest
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @proto:	protocol
 * @ttl:	time to live
 * @tos:	type of service byte
 * @csum_ok:	the link vouched for the layer-4 checksum (offload): skip it
 * @l4:		the payload (bounded by the header's total length)
 */
struct ip4_hdr {
	uint32_t src;
	uint32_t dst;
	uint8_t proto;
	uint8_t ttl;
	uint8_t tos;
	uint8_t csum_ok;
	struct pkt l4;
};

int ip4_parse(const struct pkt *p, struct ip4_hdr *ip, enum stat_id *why);
void ip4_input(struct guest *g, const struct pkt *p);

uint8_t *ip4_frame_alloc(struct guest *g, size_t l4_len);
void ip4_frame_send(struct guest *g, uint8_t *frame, uint8_t proto, uint32_t src,
		    uint32_t dst, size_t l4_len);
size_t ip4_fill(uint8_t *hdr, uint8_t proto, uint32_t src, uint32_t dst, size_t l4_len);
size_t ip4_fill_frag(uint8_t *hdr, uint8_t proto, uint32_t src, uint32_t dst, size_t len,
		     uint16_t id, uint16_t frag);
void ip4_send_fragments(struct guest *g, uint8_t proto, uint32_t src, uint32_t dst,
			const uint8_t *l4, size_t l4_len);

/* Offset of the layer-4 header in frames built by ip4_frame_alloc(). */
#define IP4_L4_OFF (14 + IP4_HLEN)

#endif /* SLIRPISH_IP4_H */
