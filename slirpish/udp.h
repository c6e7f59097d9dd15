/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* udp.h - UDP relay: a host socket per flow, idle timeouts, UDP port maps. */
#ifndef SLIRPISH_UDP_H
#define SLIRPISH_UDP_H

#include <stdint.h>
#include <netinet/in.h>

#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/ip4.h"

#define UDP_HLEN 8

void udp_input(struct guest *g, const struct ip4_hdr *ip);
void udp_flow_close(struct ctx *c, struct flow_common *f);
void udp_map_input(struct ctx *c, int map_fd, uint16_t guest_port,
		   const uint8_t *data, size_t len, const struct sockaddr_in *from);
void udp_send_to_guest(struct guest *g, uint32_t src, uint16_t sport, uint32_t dst,
		       uint16_t dport, const uint8_t *data, size_t len);

#endif /* SLIRPISH_UDP_H */
