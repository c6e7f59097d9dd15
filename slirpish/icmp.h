/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The ulvm authors */
/* icmp.h - ICMP: echo answered by the gateway or relayed through ping sockets; errors to guests. */
#ifndef SLIRPISH_ICMP_H
#define SLIRPISH_ICMP_H

#include <stdint.h>

#include "slirpish/flow.h"
#include "slirpish/guest.h"
#include "slirpish/ip4.h"

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PORT_UNREACH 3

void icmp_input(struct guest *g, const struct ip4_hdr *ip);
void icmp_flow_close(struct ctx *c, struct flow_common *f);
void icmp_send_unreach(struct guest *g, uint8_t code, const struct ip4_hdr *orig);

#endif /* SLIRPISH_ICMP_H */
