/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* eth.h - Ethernet: validate a guest's frame and hand it on; write headers of ours. */
#ifndef SLIRPISH_ETH_H
#define SLIRPISH_ETH_H

#include <stdint.h>

#include "slirpish/guest.h"
#include "slirpish/pkt.h"

#include <linux/if_ether.h> /* ETH_HLEN, ETH_ALEN, ETH_P_IP, ETH_P_ARP, ETH_P_IPV6 */

extern const uint8_t eth_broadcast[ETH_ALEN];

void eth_input(struct guest *g, const uint8_t *frame, size_t len);
void eth_fill(uint8_t *frame, const uint8_t *dst, const uint8_t *src, uint16_t type);

#endif /* SLIRPISH_ETH_H */
